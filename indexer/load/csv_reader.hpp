#pragma once
/// A streaming RFC 4180 CSV reader: quoted fields with embedded separators, quotes and newlines,
/// CRLF or LF line ends, an optional UTF-8 byte-order mark. Errors name the file and line.

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

namespace airm {

class CsvReader {
  public:
    /// Reads from `in`; `name` is the file name used in error messages. `separator` splits the
    /// fields (',' by default; ';' and '\t' are common too); it cannot be a quote or a line end.
    CsvReader(std::istream& in, std::string name, char separator = ',');

    /// Reads the next row into `row`; false at the end of input. Throws InvalidInput on an
    /// unbalanced quote or invalid UTF-8, naming the line and column.
    bool next(std::vector<std::string>& row);
    /// The line on which the row last returned by next() began (1-based).
    [[nodiscard]] std::size_t row_line() const { return row_line_; }
    [[nodiscard]] const std::string& name() const { return name_; }

  private:
    int get();
    int peek();
    std::istream& in_;
    std::string name_;
    char separator_;
    std::size_t line_ = 1;
    std::size_t row_line_ = 0;
    bool started_ = false;
};

} // namespace airm
