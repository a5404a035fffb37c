#pragma once
/// Conversion between records and nlohmann::json, for loaders that already hold parsed JSON.

#include "engine/record/record.hpp"

#include <nlohmann/json.hpp>

namespace airm {

/// Builds the native JSON object of a record.
[[nodiscard]] nlohmann::json record_to_json(const Record& record);

/// Reads a record from a parsed JSON object; `where` names the input for error messages.
[[nodiscard]] Record record_from_json(const nlohmann::json& object, std::string_view where);

} // namespace airm
