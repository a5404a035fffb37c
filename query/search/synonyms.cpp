#include "query/search/synonyms.hpp"

#include "engine/error.hpp"
#include "engine/utf8.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace airm {

std::string token_key(const Token& token, const Analyzer& analyzer) {
    std::string stem = analyzer.stem(token);
    return stem.empty() ? token.term : stem;
}

std::vector<std::string> text_keys(std::string_view text, const Analyzer& analyzer) {
    std::vector<std::string> keys;
    for (const Token& t : analyzer.analyze(text)) {
        if (t.kind != TokenKind::compound) {
            keys.push_back(token_key(t, analyzer));
        }
    }
    return keys;
}

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

} // namespace

SynonymTable SynonymTable::parse(std::string_view text, std::string_view where,
                                 const Analyzer& analyzer) {
    // A binary file (or one in another encoding) is refused as a whole, so that no message quotes
    // its bytes to the terminal.
    const auto invalid = utf8::first_invalid(text);
    const auto control = std::find_if(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\n' && c != '\r' && c != '\t') || u == 0x7f;
    });
    if (invalid || control != text.end()) {
        const std::size_t at =
            invalid ? *invalid : static_cast<std::size_t>(control - text.begin());
        const std::size_t line =
            1 + static_cast<std::size_t>(
                    std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
        throw InvalidInput(std::string(where) + " is not a UTF-8 text file (" +
                           (invalid ? "invalid UTF-8" : "a control character") + " on line " +
                           std::to_string(line) +
                           "); give a text file of synonym groups, one 'a = b = c' a line");
    }
    SynonymTable table;
    std::size_t line_no = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos)
            nl = text.size();
        std::string_view line = trim(text.substr(start, nl - start));
        start = nl + 1;
        ++line_no;
        if (line.empty() || line.front() == '#') {
            continue;
        }
        const std::string here = "line " + std::to_string(line_no) + " of " + std::string(where);
        std::vector<std::string> members;
        std::vector<std::vector<std::string>> keys;
        std::size_t from = 0;
        while (from <= line.size()) {
            std::size_t sep = line.find(" = ", from);
            if (sep == std::string_view::npos)
                sep = line.size();
            std::string_view member = trim(line.substr(from, sep - from));
            from = sep + 3;
            if (member.empty()) {
                throw InvalidInput(here + " has an empty member ('" + std::string(line) +
                                   "'); write the group as 'a = b = c'");
            }
            std::vector<std::string> k = text_keys(member, analyzer);
            if (k.empty()) {
                throw InvalidInput(
                    here + ": member '" + std::string(member) +
                    "' has no searchable word; remove it or write words, codes or numbers");
            }
            members.emplace_back(member);
            keys.push_back(std::move(k));
        }
        if (members.size() < 2) {
            throw InvalidInput(here + " ('" + std::string(line) +
                               "') names one term only; write a group of equivalents as 'a = b', "
                               "separated by ' = '");
        }
        table.add_group(std::move(members), keys);
    }
    return table;
}

SynonymTable SynonymTable::load(const std::string& path, const Analyzer& analyzer) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw NotFound("synonyms file '" + path +
                       "' does not exist or cannot be read; check the path");
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), path, analyzer);
}

void SynonymTable::add_group(std::vector<std::string> members,
                             const std::vector<std::vector<std::string>>& keys) {
    const std::size_t id = groups_.size();
    groups_.push_back(std::move(members));
    for (const auto& k : keys) {
        auto& ids = by_key_[k];
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
            ids.push_back(id);
        }
        longest_ = std::max(longest_, k.size());
    }
}

void SynonymTable::merge(const SynonymTable& other) {
    for (std::size_t g = 0; g < other.groups_.size(); ++g) {
        std::vector<std::vector<std::string>> keys;
        for (const auto& [k, ids] : other.by_key_) {
            if (std::find(ids.begin(), ids.end(), g) != ids.end()) {
                keys.push_back(k);
            }
        }
        add_group(other.groups_[g], keys);
    }
}

std::optional<SynonymTable::Match> SynonymTable::longest_match(const std::vector<std::string>& keys,
                                                               std::size_t start) const {
    if (start >= keys.size()) {
        return std::nullopt;
    }
    const std::size_t max_len = std::min(longest_, keys.size() - start);
    std::vector<std::string> probe;
    for (std::size_t len = max_len; len >= 1; --len) {
        probe.assign(keys.begin() + static_cast<std::ptrdiff_t>(start),
                     keys.begin() + static_cast<std::ptrdiff_t>(start + len));
        auto it = by_key_.find(probe);
        if (it != by_key_.end()) {
            return Match{len, it->second};
        }
    }
    return std::nullopt;
}

} // namespace airm
