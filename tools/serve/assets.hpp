#pragma once
/// The web explorer's files and the OpenAPI document, compiled into the binary (embed.cmake).

#include <string_view>
#include <vector>

namespace airm::http {

/// One embedded file: the request path that serves it, its content type and its bytes.
struct Asset {
    std::string_view path;
    std::string_view content_type;
    std::string_view body;
};

/// Every embedded file; the paths are fixed at build time.
[[nodiscard]] const std::vector<Asset>& assets();

} // namespace airm::http
