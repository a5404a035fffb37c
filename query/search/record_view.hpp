#pragma once
/// How records are shown to users: facet values with their taxonomy names, as JSON and as text.

#include "engine/metadata.hpp"
#include "engine/record/record.hpp"

#include <nlohmann/json.hpp>

namespace airm {

/// {"category": [{"value": "3.1", "name": "Testing & Auditing"}], "actor": [{"value":
/// "Developer"}]}.
[[nodiscard]] nlohmann::json facets_with_names(const Record& record, const IndexMetadata& metadata);

/// The record as JSON (native shape) with "facets" replaced by facets_with_names.
[[nodiscard]] nlohmann::json record_view(const Record& record, const IndexMetadata& metadata);

/// "Title. Authors (Year)" or the reference alone; empty when the record has no source.
[[nodiscard]] std::string source_line(const Source& source);

} // namespace airm
