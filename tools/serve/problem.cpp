#include "tools/serve/problem.hpp"

namespace airm::http {

ApiError::ApiError(int status, std::string code, const std::string& detail, nlohmann::json extra)
    : std::runtime_error(detail), status_(status), code_(std::move(code)),
      extra_(std::move(extra)) {}

const char* reason_phrase(int status) {
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return status >= 500 ? "Server Error" : "Client Error";
    }
}

std::string problem_json(int status, const std::string& code, const std::string& detail,
                         const nlohmann::json& extra) {
    nlohmann::json out = {{"type", "about:blank"},
                          {"title", reason_phrase(status)},
                          {"status", status},
                          {"code", code},
                          {"detail", detail}};
    if (extra.is_object()) {
        for (const auto& [key, value] : extra.items())
            out[key] = value;
    }
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace airm::http
