#pragma once
/// A fast reader of the record JSON stored in the index (one object in the native shape), for the
/// page of hits a search returns: it fills a Record directly, without building a JSON tree.

#include "engine/record/record.hpp"

#include <optional>
#include <string_view>

namespace airm {

/// The record encoded in `json`, or nullopt when the text holds anything the native shape does not
/// (then parse_record gives the full diagnosis). Unknown keys are skipped.
[[nodiscard]] std::optional<Record> decode_record(std::string_view json);

/// decode_record, falling back to parse_record (which throws InvalidInput naming `where`).
[[nodiscard]] Record decode_stored_record(std::string_view json, std::string_view where);

} // namespace airm
