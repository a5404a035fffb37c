#pragma once
/// UTF-8 checks and decoding used wherever bytes enter the engine.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace airm::utf8 {

/// Byte offset of the first invalid UTF-8 sequence in `text`, or nullopt when it is all valid.
[[nodiscard]] std::optional<std::size_t> first_invalid(std::string_view text);

/// Decodes the code point at `pos` and advances `pos`; an invalid sequence yields U+FFFD and
/// advances one byte.
[[nodiscard]] char32_t decode(std::string_view text, std::size_t& pos);

/// Cuts `text` to at most `max_bytes` without splitting a code point.
[[nodiscard]] std::string_view truncate(std::string_view text, std::size_t max_bytes);

} // namespace airm::utf8
