#pragma once
/// A transparent string hash, so that hash maps keyed by std::string are searched with a
/// std::string_view without building a string.
/// Internal to airm_suggest: a helper of features.hpp and word_vectors.hpp, not an API.

#include <cstddef>
#include <functional>
#include <string_view>

namespace airm {

/// Hashes std::string, std::string_view and const char* alike (pair with std::equal_to<>).
struct TransparentStringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

} // namespace airm
