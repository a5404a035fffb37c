#pragma once
/// Dotted taxonomy codes ("2.2.2", "1.X") and facet values that begin with one
/// ("3.1 Testing & Auditing", "6.5 > Governance failure").

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airm {

/// A facet value split into its code and the name that followed it (empty when none).
struct CodedValue {
    std::string code;
    std::string name;
};

/// True when `token` has the shape of a taxonomy code: dot-separated segments of digits or of one
/// or two letters (e.g. "2", "2.2.2", "1.X", "X.X", "A1.3").
[[nodiscard]] bool is_code(std::string_view token);

/// True when `code` may name a node of a taxonomy file: dot-separated, non-empty segments of
/// letters and digits ("X" is allowed here, where a file declares it as a code).
[[nodiscard]] bool is_taxonomy_code(std::string_view code);

/// Splits "3.1 Testing & Auditing" into {"3.1", "Testing & Auditing"}; nullopt when the value does
/// not begin with a code.
[[nodiscard]] std::optional<CodedValue> parse_coded_value(std::string_view value);

/// The parent of a code ("2.2.2" -> "2.2"); empty for a top-level code.
[[nodiscard]] std::string parent_code(std::string_view code);

/// The code and all its ancestors, root first ("2.2.2" -> {"2", "2.2", "2.2.2"}).
[[nodiscard]] std::vector<std::string> code_path(std::string_view code);

/// Orders codes segment by segment, numerically where both segments are numbers ("1.10" after
/// "1.9").
[[nodiscard]] bool code_less(std::string_view a, std::string_view b);

} // namespace airm
