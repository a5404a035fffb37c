#pragma once
/// JSON strings written by hand: the one escaper behind every JSON text airm writes without
/// building a tree (stored records, search results). The bytes are those of nlohmann::json::dump()
/// without ensure_ascii: '"', '\\' and control bytes are escaped, everything else is copied.

#include <string>
#include <string_view>

namespace airm {

/// Appends `text` to `out` as a quoted JSON string and returns true when `text` is valid UTF-8 (as
/// utf8::first_invalid() judges); returns false, with `out` as it was, when it is not. One pass,
/// 8 ASCII bytes a step: this is on the path of every search result and every stored record.
[[nodiscard]] bool append_json_string_if_valid(std::string& out, std::string_view text);

/// Appends `text` to `out` as a quoted JSON string; each byte that is not part of valid UTF-8 is
/// written as U+FFFD, so the output is valid JSON whatever the input.
void append_json_string(std::string& out, std::string_view text);

} // namespace airm
