#include "engine/record/decode.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace airm {
namespace {

/// A cursor over JSON text; every method returns false on anything unexpected.
class Reader {
  public:
    explicit Reader(std::string_view s) : s_(s) {}

    void space() {
        while (i_ < s_.size() &&
               (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r'))
            ++i_;
    }
    bool eat(char c) {
        space();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    bool peek(char c) {
        space();
        return i_ < s_.size() && s_[i_] == c;
    }
    bool at_end() {
        space();
        return i_ == s_.size();
    }

    bool string(std::string& out) {
        out.clear();
        if (!eat('"'))
            return false;
        while (i_ < s_.size()) {
            // Copy the run up to the next quote or backslash at once.
            std::size_t j = i_;
            for (; j + 8 <= s_.size(); j += 8) { // 8 bytes a step while none is special
                std::uint64_t word = 0;
                std::memcpy(&word, s_.data() + j, 8);
                if (special8(word))
                    break;
            }
            while (j < s_.size() && s_[j] != '"' && s_[j] != '\\') {
                if (static_cast<unsigned char>(s_[j]) < 0x20)
                    return false;
                ++j;
            }
            out.append(s_, i_, j - i_);
            i_ = j;
            if (i_ >= s_.size())
                return false;
            if (s_[i_] == '"') {
                ++i_;
                return true;
            }
            if (++i_ >= s_.size())
                return false;
            switch (s_[i_++]) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                unsigned cp = 0;
                if (!hex4(cp))
                    return false;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned low = 0;
                    if (i_ + 1 >= s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u')
                        return false;
                    i_ += 2;
                    if (!hex4(low) || low < 0xDC00 || low > 0xDFFF)
                        return false;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return false;
                }
                put_utf8(out, cp);
                break;
            }
            default:
                return false;
            }
        }
        return false;
    }

    bool integer(int& out) {
        space();
        std::size_t j = i_;
        if (j < s_.size() && s_[j] == '-')
            ++j;
        while (j < s_.size() && s_[j] >= '0' && s_[j] <= '9')
            ++j;
        auto [p, ec] = std::from_chars(s_.data() + i_, s_.data() + j, out);
        if (ec != std::errc() || p != s_.data() + j)
            return false;
        i_ = j;
        return true;
    }

    /// Skips any JSON value.
    bool skip() {
        space();
        if (i_ >= s_.size())
            return false;
        const char c = s_[i_];
        if (c == '"') {
            std::string ignored;
            return string(ignored);
        }
        if (c == '{' || c == '[') {
            const char close = c == '{' ? '}' : ']';
            ++i_;
            if (eat(close))
                return true;
            do {
                if (c == '{') {
                    std::string key;
                    if (!string(key) || !eat(':'))
                        return false;
                }
                if (!skip())
                    return false;
            } while (eat(','));
            return eat(close);
        }
        std::size_t j = i_;
        while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '-' ||
                                 s_[j] == '+' || s_[j] == '.')) {
            ++j;
        }
        if (j == i_)
            return false;
        i_ = j;
        return true;
    }

  private:
    /// True when one of the 8 bytes of `word` is a control byte, '"' or '\\' (may be true when
    /// none is only after one is, which the byte loop then finds).
    static bool special8(std::uint64_t word) {
        constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
        auto has_zero = [](std::uint64_t v) { return ((v - ones) & ~v & highs) != 0; };
        return ((word - ones * 0x20) & ~word & highs) != 0 || has_zero(word ^ (ones * '"')) ||
               has_zero(word ^ (ones * '\\'));
    }
    bool hex4(unsigned& out) {
        if (i_ + 4 > s_.size())
            return false;
        out = 0;
        for (int k = 0; k < 4; ++k) {
            const char h = s_[i_++];
            out <<= 4;
            if (h >= '0' && h <= '9')
                out |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f')
                out |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
                out |= static_cast<unsigned>(h - 'A' + 10);
            else
                return false;
        }
        return true;
    }
    static void put_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

/// Reads an object, calling `member(key)` for each key with the reader at its value.
template <typename Member> bool object(Reader& r, Member&& member) {
    if (!r.eat('{'))
        return false;
    if (r.eat('}'))
        return true;
    std::string key;
    do {
        if (!r.string(key) || !r.eat(':') || !member(key))
            return false;
    } while (r.eat(','));
    return r.eat('}');
}

bool string_or_null(Reader& r, std::string& out) {
    if (r.peek('n')) {
        out.clear();
        return r.skip();
    }
    return r.string(out);
}

bool source(Reader& r, Source& s) {
    return object(r, [&](const std::string& key) {
        if (key == "ref")
            return string_or_null(r, s.ref);
        if (key == "title")
            return string_or_null(r, s.title);
        if (key == "authors")
            return string_or_null(r, s.authors);
        if (key == "url")
            return string_or_null(r, s.url);
        if (key == "year") {
            if (r.peek('n')) {
                s.year.reset();
                return r.skip();
            }
            int y = 0;
            if (!r.integer(y))
                return false;
            s.year = y;
            return true;
        }
        return r.skip();
    });
}

bool facets(Reader& r, std::map<std::string, std::vector<std::string>>& out) {
    return object(r, [&](const std::string& key) {
        auto& values = out[key];
        if (!r.eat('['))
            return false;
        if (r.eat(']'))
            return true;
        do {
            values.emplace_back();
            if (!r.string(values.back()))
                return false;
        } while (r.eat(','));
        return r.eat(']');
    });
}

} // namespace

std::optional<Record> decode_record(std::string_view json) {
    Record rec;
    Reader r(json);
    bool has_id = false;
    const bool ok = object(r, [&](const std::string& key) {
        if (key == "id")
            return has_id = r.string(rec.id);
        if (key == "title")
            return string_or_null(r, rec.title);
        if (key == "text")
            return string_or_null(r, rec.text);
        if (key == "reasoning")
            return string_or_null(r, rec.reasoning);
        if (key == "source")
            return r.peek('n') ? r.skip() : source(r, rec.source);
        if (key == "facets")
            return facets(r, rec.facets);
        return r.skip();
    });
    if (!ok || !has_id || !r.at_end())
        return std::nullopt;
    return rec;
}

Record decode_stored_record(std::string_view json, std::string_view where) {
    if (auto rec = decode_record(json))
        return std::move(*rec);
    return parse_record(json, where);
}

} // namespace airm
