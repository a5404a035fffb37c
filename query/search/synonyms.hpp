#pragma once
/// Query-time synonyms: groups of equivalent words or phrases ("red teaming = adversarial
/// testing"), read from files such as corpus/synonyms.txt. Members are matched on analysed keys
/// (stems of words, whole codes and compounds), so "red-teaming", "Red Teaming" and "red teams"
/// find the same group.

#include "engine/analysis/analyzer.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airm {

/// The matching key of one analysed token: its stem for words, else its normalised term.
[[nodiscard]] std::string token_key(const Token& token, const Analyzer& analyzer);

/// The keys of a text's tokens, compounds left out (their parts are keyed).
[[nodiscard]] std::vector<std::string> text_keys(std::string_view text, const Analyzer& analyzer);

/// Groups of equivalent terms and phrases.
class SynonymTable {
  public:
    /// A run of query keys that a group member matched.
    struct Match {
        std::size_t length = 0;          ///< keys matched
        std::vector<std::size_t> groups; ///< every group with a member of exactly these keys
    };

    /// Parses the synonyms format: one group a line, members separated by " = ", '#' comments.
    /// `where` names the input for errors (InvalidInput naming the line and the fix).
    [[nodiscard]] static SynonymTable parse(std::string_view text, std::string_view where,
                                            const Analyzer& analyzer);
    /// Reads a synonyms file; throws NotFound when it cannot be read.
    [[nodiscard]] static SynonymTable load(const std::string& path, const Analyzer& analyzer);

    /// Adds the groups of another table (a user's file after the bundled one).
    void merge(const SynonymTable& other);

    /// The longest run of keys starting at `keys[start]` that equals a member, or nullopt.
    [[nodiscard]] std::optional<Match> longest_match(const std::vector<std::string>& keys,
                                                     std::size_t start) const;

    /// Member texts of a group, as written in the file.
    [[nodiscard]] const std::vector<std::string>& members(std::size_t group) const {
        return groups_[group];
    }
    [[nodiscard]] std::size_t size() const { return groups_.size(); }
    [[nodiscard]] bool empty() const { return groups_.empty(); }

  private:
    void add_group(std::vector<std::string> members,
                   const std::vector<std::vector<std::string>>& keys);

    std::vector<std::vector<std::string>> groups_;
    std::map<std::vector<std::string>, std::vector<std::size_t>> by_key_;
    std::size_t longest_ = 0; ///< most keys in any member
};

} // namespace airm
