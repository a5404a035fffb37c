#pragma once
/// Snippets: the best matching passage of a record, with the matched words marked by byte offsets.
/// Matching uses the index's analyzer, so a snippet marks exactly the tokens the query matched
/// (stems, codes, compounds), in any script.

#include "engine/analysis/analyzer.hpp"
#include "engine/record/record.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace airm {

/// What a snippet marks: tokens whose stem, or whose normalised term, was searched for.
struct HighlightTerms {
    std::set<std::string> stems; ///< stems of searched words ("test" marks "testing")
    std::set<std::string> terms; ///< normalised terms searched exactly (phrases, codes, compounds)
    std::vector<std::string> prefixes; ///< word* prefixes (normalised)

    [[nodiscard]] bool empty() const { return stems.empty() && terms.empty() && prefixes.empty(); }
    /// True when a token of the analysed text is one of these.
    [[nodiscard]] bool matches(const Token& token, const Analyzer& analyzer) const;
};

/// A passage of one field.
struct Snippet {
    std::string field; ///< "title", "text", "reasoning" or "source"
    std::string text;  ///< the passage, whitespace collapsed, with "…" where it was cut
    std::vector<std::pair<std::uint32_t, std::uint32_t>>
        marks; ///< [begin, end) byte offsets into text
};

struct SnippetOptions {
    std::size_t max_bytes = 240; ///< longest passage, before the "…" marks
};

/// The passage of the field with the most distinct matched terms (text before reasoning, source
/// and title on a tie), around its densest cluster of matches. Without any match: the start of
/// the text (or of the first non-empty field).
[[nodiscard]] Snippet make_snippet(const Record& record, const HighlightTerms& terms,
                                   const Analyzer& analyzer, const SnippetOptions& options = {});

/// The passage with each mark wrapped in <mark>...</mark>, HTML-escaped.
[[nodiscard]] std::string snippet_html(const Snippet& snippet);

/// The passage with each mark wrapped in `open` and `close` (e.g. terminal bold).
[[nodiscard]] std::string snippet_marked(const Snippet& snippet, std::string_view open,
                                         std::string_view close);

} // namespace airm
