#pragma once
/// Fixed cross-validation folds: which fold each record is held out in, as given by a folds file
/// (a CSV 'id,fold' such as the MIT export's folds-5.csv), so that `airm evaluate` and the quality
/// tests score every method on the very same splits.

#include <cstddef>
#include <map>
#include <string>

namespace airm {

/// The fold of each record id, and for messages where each came from.
struct Folds {
    std::string path;                        ///< the folds file ("" when built in code)
    std::map<std::string, int> fold;         ///< record id -> fold number as written
    std::map<std::string, std::size_t> line; ///< record id -> its line in the file (when read)

    [[nodiscard]] bool empty() const { return fold.empty(); }
    /// "line N of FILE" for an id read from a file, else "the folds" (for messages).
    [[nodiscard]] std::string where(const std::string& id) const;
};

/// Reads a folds file: a header line, then one 'id,fold' line per record (blank lines skipped).
/// Throws NotFound when the file cannot be read, and InvalidInput naming the file and line when
/// the header or a column is missing, a fold is not a whole number, or an id is given twice.
[[nodiscard]] Folds read_folds(const std::string& path);

} // namespace airm
