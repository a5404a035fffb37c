#pragma once
/// The routes of the HTTP API: one table from which the server registers its handlers and
/// against which tests hold /openapi.json.

#include <string>
#include <vector>

namespace airm::http {

/// One route: "GET" and "/v1/records/{id}"; `write` routes need --allow-writes (and the token).
struct RouteInfo {
    std::string method;
    std::string path;
    bool write = false;
};

/// Every API route the server answers (the explorer's static files aside).
[[nodiscard]] const std::vector<RouteInfo>& routes();

} // namespace airm::http
