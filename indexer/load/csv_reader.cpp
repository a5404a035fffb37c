#include "indexer/load/csv_reader.hpp"

#include "engine/error.hpp"
#include "engine/utf8.hpp"
#include "indexer/load/record_reader.hpp"

namespace airm {

CsvReader::CsvReader(std::istream& in, std::string name, char separator)
    : in_(in), name_(std::move(name)), separator_(separator) {
    if (separator == '"' || separator == '\n' || separator == '\r') {
        throw InvalidInput(name_ + ": a quote or a line end cannot separate CSV fields; give a "
                                   "delimiter such as ',' ';' or tab");
    }
}

int CsvReader::get() {
    int c = in_.get();
    if (c == '\n') {
        ++line_;
    }
    return c;
}

int CsvReader::peek() {
    return in_.peek();
}

bool CsvReader::next(std::vector<std::string>& row) {
    row.clear();
    if (!started_) {
        started_ = true;
        // Skip a UTF-8 byte-order mark.
        if (peek() == 0xEF) {
            char bom[3];
            in_.read(bom, 3);
            if (in_.gcount() != 3 || static_cast<unsigned char>(bom[1]) != 0xBB ||
                static_cast<unsigned char>(bom[2]) != 0xBF) {
                in_.clear();
                in_.seekg(0);
            }
        }
    }
    if (peek() == EOF) {
        return false;
    }
    row_line_ = line_;
    std::string field;
    bool quoted = false;
    bool field_started = false;
    std::size_t quote_line = 0;
    std::size_t quote_column = 0;
    auto finish_field = [&]() {
        if (auto bad = utf8::first_invalid(field)) {
            throw InvalidInput("line " + std::to_string(row_line_) + ", column " +
                               std::to_string(row.size() + 1) + " of " + name_ +
                               ": invalid UTF-8 at byte " + std::to_string(*bad + 1) +
                               " of the field; re-save the file as UTF-8");
        }
        row.push_back(std::move(field));
        field.clear();
        field_started = false;
    };
    while (true) {
        int c = get();
        if (field.size() > kMaxRecordBytes) {
            throw InvalidInput("line " + std::to_string(row_line_) + ", column " +
                               std::to_string(row.size() + 1) + " of " + name_ +
                               ": the field is longer than " +
                               std::to_string(kMaxRecordBytes >> 20) +
                               " MiB; check for an unbalanced quote before it, or split the text");
        }
        if (quoted) {
            if (c == EOF) {
                throw InvalidInput(
                    "line " + std::to_string(quote_line) + ", column " +
                    std::to_string(quote_column) + " of " + name_ +
                    ": a quoted field opened here is never closed; close it with \" and write a "
                    "quote inside a quoted field as \"\"");
            }
            if (c == '"') {
                if (peek() == '"') {
                    get();
                    field.push_back('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push_back(static_cast<char>(c));
            }
            continue;
        }
        if (c == EOF || c == '\n') {
            if (!field.empty() && field.back() == '\r') {
                field.pop_back();
            }
            finish_field();
            return true;
        }
        if (c == '\r' && peek() == '\n') {
            continue;
        }
        if (c == separator_) {
            finish_field();
            continue;
        }
        if (c == '"' && !field_started) {
            quoted = true;
            field_started = true;
            quote_line = line_;
            quote_column = row.size() + 1;
            continue;
        }
        field_started = true;
        field.push_back(static_cast<char>(c));
    }
}

} // namespace airm
