#pragma once
/// The record model: one coded mitigation (or any coded text) as airm stores and returns it.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airm {

/// The document a record was taken from. Every member is optional; an empty string means absent.
struct Source {
    std::string ref;     ///< short reference, e.g. "Gipiskis2024"
    std::string title;   ///< document title
    std::string authors; ///< first author or organisation, free text
    std::optional<int> year;
    std::string url;

    [[nodiscard]] bool empty() const {
        return ref.empty() && title.empty() && authors.empty() && !year && url.empty();
    }
    bool operator==(const Source& other) const = default;
};

/// Longest id accepted, in bytes: an id is stored as one index term, and index terms are short.
inline constexpr std::size_t kMaxIdBytes = 200;
/// Longest facet name accepted, in bytes: the name begins every filter term of the facet.
inline constexpr std::size_t kMaxFacetNameBytes = 40;

/// Throws InvalidInput, prefixed by `where`, when `id` is longer than kMaxIdBytes.
void check_id_length(std::string_view id, std::string_view where);
/// Throws InvalidInput, prefixed by `where`, when `name` cannot name a facet: empty, longer than
/// kMaxFacetNameBytes, or containing ':' (which separates a facet from its value in filters).
void check_facet_name(std::string_view name, std::string_view where);

/// One record. Facets are named and multi-valued; values of hierarchical facets are dotted codes
/// ("2.2.2"), their names live in the index's taxonomy for that facet.
struct Record {
    std::string id;
    std::string title;
    std::string text;      ///< the mitigation itself
    std::string reasoning; ///< why it was coded as it was (optional)
    Source source;
    std::map<std::string, std::vector<std::string>> facets;

    /// True when the record has no searchable words in any text field.
    [[nodiscard]] bool has_no_text() const;
    bool operator==(const Record& other) const = default;
};

/// Serialises a record as one line of JSON in the native JSON Lines shape.
[[nodiscard]] std::string to_json_line(const Record& record);

/// Parses one record in the native JSON shape. `where` names the input for error messages
/// ("line 12 of records.jsonl"). Throws InvalidInput naming the field and the fix.
[[nodiscard]] Record parse_record(std::string_view json, std::string_view where);

} // namespace airm
