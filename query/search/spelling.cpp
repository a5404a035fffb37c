#include "query/search/spelling.hpp"

#include "engine/detail/xapian_access.hpp"
#include "engine/utf8.hpp"

#include <algorithm>
#include <vector>

namespace airm {
namespace {

std::u32string decode_all(std::string_view s) {
    std::u32string out;
    std::size_t pos = 0;
    while (pos < s.size())
        out.push_back(utf8::decode(s, pos));
    return out;
}

std::size_t distance(const std::u32string& a, const std::u32string& b, std::size_t limit) {
    const std::size_t n = a.size(), m = b.size();
    if ((n > m ? n - m : m - n) > limit)
        return limit + 1;
    // Three rows of the optimal-string-alignment table.
    std::vector<std::size_t> before(m + 1), prev(m + 1), cur(m + 1);
    for (std::size_t j = 0; j <= m; ++j)
        prev[j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        cur[0] = i;
        std::size_t row_min = cur[0];
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                cur[j] = std::min(cur[j], before[j - 2] + 1);
            }
            row_min = std::min(row_min, cur[j]);
        }
        if (row_min > limit)
            return limit + 1;
        std::swap(before, prev);
        std::swap(prev, cur);
    }
    return std::min(prev[m], limit + 1);
}

bool has_digit(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Unstemmed index terms are lower case or non-ASCII; prefixed terms start with an upper-case
/// letter.
bool unprefixed(std::string_view term) {
    return !term.empty() && !(term[0] >= 'A' && term[0] <= 'Z');
}

} // namespace

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
    return distance(decode_all(a), decode_all(b), limit);
}

std::size_t max_edits(std::size_t characters) {
    return characters <= 4 ? 1 : 2;
}

std::optional<std::string> suggest_spelling(const Index& index, std::string_view word) {
    const std::u32string w = decode_all(word);
    if (w.size() < 3)
        return std::nullopt;
    const Xapian::Database& db = detail::IndexAccess::database(index);
    try {
        if (db.term_exists(std::string(word)))
            return std::string(word);
        const std::size_t limit = max_edits(w.size());
        const bool digits = has_digit(word);
        // Candidates share the first character, or start with the second one (a slip on the first
        // key).
        std::vector<std::string> starts;
        std::size_t pos = 0;
        (void)utf8::decode(word, pos);
        starts.emplace_back(word.substr(0, pos));
        std::size_t pos2 = pos;
        (void)utf8::decode(word, pos2);
        if (word.substr(pos, pos2 - pos) != starts.front())
            starts.emplace_back(word.substr(pos, pos2 - pos));

        std::optional<std::string> best;
        std::size_t best_distance = limit + 1;
        Xapian::doccount best_freq = 0;
        for (const auto& start : starts) {
            for (auto it = db.allterms_begin(start); it != db.allterms_end(start); ++it) {
                const std::string term = *it;
                if (!unprefixed(term) || (!digits && has_digit(term)))
                    continue;
                const std::size_t d = distance(w, decode_all(term), std::min(limit, best_distance));
                if (d > limit)
                    continue;
                const Xapian::doccount freq = it.get_termfreq();
                if (d < best_distance || (d == best_distance && freq > best_freq)) {
                    best = term;
                    best_distance = d;
                    best_freq = freq;
                }
            }
        }
        return best;
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, index.paths().front());
    }
}

} // namespace airm
