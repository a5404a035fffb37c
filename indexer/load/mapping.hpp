#pragma once
/// How the columns of a CSV file become record fields: `--map id=COL --map text=COL+COL
/// --map facet:NAME=COL --map split:NAME=SEP`, or the same as a JSON object.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace airm {

struct ColumnMapping {
    std::string id;
    std::vector<std::string> title;     ///< columns joined with a space
    std::vector<std::string> text;      ///< columns joined with a blank line
    std::vector<std::string> reasoning; ///< columns joined with a blank line
    std::string source_ref;
    std::string source_title;
    std::string source_authors;
    std::string source_year;
    std::string source_url;
    std::map<std::string, std::string> facets; ///< facet name -> column
    std::map<std::string, std::string>
        separators; ///< facet name -> separator of several values in a cell

    /// Applies one `KEY=COLUMN` assignment; throws InvalidInput naming the accepted keys.
    void assign(std::string_view assignment);
    /// Reads a mapping from a JSON object {"id": "COL", "text": ["A", "B"], "facet:category": "C",
    /// ...}.
    [[nodiscard]] static ColumnMapping from_json(std::string_view json, std::string_view where);
    /// The built-in mapping of the MIT AI Risk Mitigation Database export: `Action Source` is both
    /// the source reference and the facet "source" (to filter and count by document).
    [[nodiscard]] static ColumnMapping mit_csv();
    /// Every column the mapping reads, each once.
    [[nodiscard]] std::vector<std::string> columns() const;
    [[nodiscard]] bool empty() const { return id.empty(); }
};

} // namespace airm
