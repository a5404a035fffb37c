#pragma once
/// Errors of the HTTP API as RFC 9457 problem details (application/problem+json) with a stable
/// machine `code`, and the mapping of airm's error hierarchy onto them.

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace airm::http {

/// An answer other than success, thrown by a handler and written as a problem document.
class ApiError : public std::runtime_error {
  public:
    ApiError(int status, std::string code, const std::string& detail,
             nlohmann::json extra = nlohmann::json::object());
    [[nodiscard]] int status() const { return status_; }
    [[nodiscard]] const std::string& code() const { return code_; }
    [[nodiscard]] const nlohmann::json& extra() const { return extra_; }

  private:
    int status_;
    std::string code_;
    nlohmann::json extra_;
};

/// The problem document: {"type", "title", "status", "code", "detail", ...extra}.
[[nodiscard]] std::string problem_json(int status, const std::string& code,
                                       const std::string& detail,
                                       const nlohmann::json& extra = nlohmann::json::object());

/// The standard reason phrase of an HTTP status ("Not Found").
[[nodiscard]] const char* reason_phrase(int status);

} // namespace airm::http
