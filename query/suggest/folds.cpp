#include "query/suggest/folds.hpp"

#include "engine/error.hpp"
#include "indexer/load/csv_reader.hpp"

#include <fstream>
#include <stdexcept>
#include <vector>

namespace airm {

std::string Folds::where(const std::string& id) const {
    auto it = line.find(id);
    if (it == line.end() || path.empty())
        return "the folds";
    return "line " + std::to_string(it->second) + " of folds file '" + path + "'";
}

Folds read_folds(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw NotFound("folds file '" + path +
                       "' does not exist or cannot be read; check the path");
    CsvReader csv(in, path);
    std::vector<std::string> row;
    if (!csv.next(row) || row.size() < 2) {
        throw InvalidInput("folds file '" + path +
                           "' has no header 'id,fold'; a folds file is a CSV with columns id and "
                           "fold");
    }
    Folds folds;
    folds.path = path;
    while (csv.next(row)) {
        if (row.size() == 1 && row[0].empty())
            continue;
        const std::size_t line = csv.row_line();
        const std::string where = "line " + std::to_string(line) + " of folds file '" + path + "'";
        if (row.size() < 2)
            throw InvalidInput(where + ": expected 'id,fold'");
        int fold = 0;
        try {
            std::size_t used = 0;
            fold = std::stoi(row[1], &used);
            if (used != row[1].size())
                throw std::invalid_argument("trailing characters");
        } catch (const std::logic_error&) {
            throw InvalidInput(where + ": fold '" + row[1] +
                               "' is not a whole number; write 'id,fold' such as 'A0086,1'");
        }
        auto [it, inserted] = folds.fold.emplace(row[0], fold);
        if (!inserted && it->second != fold) {
            const std::size_t first = folds.line.at(row[0]);
            throw InvalidInput(where + ": record '" + row[0] + "' is given fold " + row[1] +
                               ", but line " + std::to_string(first) + " already gave it fold " +
                               std::to_string(it->second) +
                               "; keep one line per record, in the fold it is held out in");
        }
        folds.line.emplace(row[0], line); // a repeat of the same fold keeps its first line
    }
    return folds;
}

} // namespace airm
