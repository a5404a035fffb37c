#include "engine/record/codec.hpp"

#include "engine/error.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace airm {
namespace {

constexpr char kRawFormat = 'J';
constexpr char kPackedFormat = 'L';
/// Shorter inputs are stored raw: a match needs 4 bytes and the header costs 2-3.
constexpr std::size_t kMinPackedInput = 16;
constexpr std::size_t kMinMatch = 4;
constexpr std::size_t kMaxOffset = 65535;
constexpr unsigned kNibbleMax = 15;
/// Decoding copies short literal runs and matches as this many bytes when input and output have
/// room.
constexpr std::size_t kFastCopy = 16;
/// Each stored byte yields at most this many output bytes (a 255 length-extension byte), which
/// bounds the decoded length a header may claim before anything is allocated.
constexpr std::size_t kMaxExpansion = 255;

/// Virtual history before every packed record: the JSON keys of a stored record and words common
/// in AI risk mitigation texts, so that even a short record finds matches from its first byte.
/// Part of the 'L' format: changing it changes what stored records decode to (bump
/// schema::kVersion).
constexpr std::string_view kDictionary =
    " the development and deployment of the model developers should ensure that the system "
    "including information with their data from about which would could have been were this "
    "these those they other such as into after before when where whether while within "
    "without through between across during under over more than only also each some there "
    "their them then what will must might does risk risks management mitigation mitigations "
    "measures safeguards controls policies procedures processes practices model models "
    "system systems training evaluation evaluations assessment assessments testing audit "
    "audits review reporting security safety privacy protection transparency accountability "
    "oversight governance monitoring detection response incident incidents vulnerabilities "
    "capabilities dangerous harmful misuse potential relevant appropriate independent "
    "external internal third party third-party red teaming adversarial frontier "
    "general-purpose artificial intelligence AI systems AI models content generated outputs "
    "users user access public personal sensitive information data protection deepfake video "
    "images organization organisations company companies government authorities regulators "
    "researchers experts employees staff board establish implement document identify assess "
    "evaluate monitor prevent protect reduce require provide support improve investigation "
    "announced reported stated published released issued lawsuit court legal police "
    "department commission Developer Deployer User Infrastructure Provider Affected "
    "Stakeholder Government Actor Other Plan and Design Collect and Process Data Build and "
    "Use Model Verify and Validate Deploy Operate and Monitor {\"id\": \"\", \"title\": "
    "\"\", \"text\": \"\", \"reasoning\": \"\", \"source\": {\"ref\": \"\", \"title\": \"\", "
    "\"authors\": \"\", \"year\": 202, \"url\": \"https://\"}, \"facets\": {\"category\": "
    "[\"\", \"lifecycle\": [\"\", \"actor\": [\"";

std::uint32_t load32(const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

std::uint64_t load64(const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

/// Multiplicative hash of 4 bytes into `bits` bits.
std::uint32_t hash4(std::uint32_t v, unsigned bits) {
    return (v * 2654435761U) >> (32 - bits);
}

/// Hash table sizes (entries = 2^bits). Sparse tables find fewer false candidates, each of which
/// costs a mispredicted branch: measured faster than small tables that fit in less cache.
constexpr unsigned kDictionaryBits = 14;
constexpr unsigned kMinTableBits = 12;
/// The largest match table a record gets: 64 KB on the stack.
constexpr unsigned kMaxTableBits = 14;
using DictionaryTable = std::array<std::uint32_t, std::size_t{1} << kDictionaryBits>;

/// Where each 4-byte sequence of kDictionary starts (position + 1; 0 = none), built once.
const DictionaryTable& dictionary_table() {
    static const DictionaryTable table = [] {
        DictionaryTable t{};
        for (std::size_t i = 0; i + kMinMatch <= kDictionary.size(); ++i) {
            t[hash4(load32(kDictionary.data() + i), kDictionaryBits)] =
                static_cast<std::uint32_t>(i + 1);
        }
        return t;
    }();
    return table;
}

/// How many bytes at `a` and `b` agree, reading no further than `limit` from `b` (`a` is earlier
/// input or the dictionary, so reading as far from `a` is safe).
std::size_t common_length(const char* a, const char* b, const char* limit) {
    const char* start = b;
    while (b + 8 <= limit) {
        const std::uint64_t diff = load64(a) ^ load64(b);
        if (diff != 0) {
            // Little- or big-endian alike: find the first differing byte by comparing bytes.
            while (*a == *b) {
                ++a;
                ++b;
            }
            return static_cast<std::size_t>(b - start);
        }
        a += 8;
        b += 8;
    }
    while (b < limit && *a == *b) {
        ++a;
        ++b;
    }
    return static_cast<std::size_t>(b - start);
}

/// Writes the token stream into a buffer sized up front; stops (returns false) as soon as the
/// output would not be smaller than the input.
class Packer {
  public:
    Packer(char* begin, std::size_t budget) : out_(begin), end_(begin + budget) {}

    /// Emits `literal_count` bytes at `literals`, then a match (`match_length` 0: none).
    bool emit(const char* literals, std::size_t literal_count, std::size_t offset,
              std::size_t match_length) {
        const std::size_t match_code = match_length == 0 ? 0 : match_length - kMinMatch;
        // Worst case of this token: header, extensions, literals, offset.
        const std::size_t need =
            1 + literal_count / 255 + 1 + literal_count + 2 + match_code / 255 + 1;
        if (need > static_cast<std::size_t>(end_ - out_)) {
            return false;
        }
        *out_++ = static_cast<char>((std::min<std::size_t>(literal_count, kNibbleMax) << 4) |
                                    std::min<std::size_t>(match_code, kNibbleMax));
        extend(literal_count);
        std::memcpy(out_, literals, literal_count);
        out_ += literal_count;
        if (match_length != 0) {
            *out_++ = static_cast<char>(offset & 0xff);
            *out_++ = static_cast<char>(offset >> 8);
            extend(match_code);
        }
        return true;
    }

    [[nodiscard]] char* position() const { return out_; }

  private:
    /// The bytes after a saturated nibble: 255s, then the remainder below 255.
    void extend(std::size_t value) {
        if (value < kNibbleMax) {
            return;
        }
        value -= kNibbleMax;
        while (value >= 255) {
            *out_++ = static_cast<char>(255);
            value -= 255;
        }
        *out_++ = static_cast<char>(value);
    }

    char* out_;
    char* end_;
};

std::string raw(std::string_view json) {
    std::string out;
    out.reserve(json.size() + 1);
    out += kRawFormat;
    out += json;
    return out;
}

[[noreturn]] void corrupt(std::string_view where, const char* what) {
    throw IndexError(std::string(where) + ": the stored record is corrupt (" + what +
                     "); rebuild the index with 'airm index --rebuild'");
}

} // namespace

std::string compress_record(std::string_view json) {
    const std::size_t n = json.size();
    if (n < kMinPackedInput) {
        return raw(json);
    }
    // Table size follows the input (clearing a large table would dominate small records).
    unsigned bits = kMinTableBits;
    while (bits < kMaxTableBits && (std::size_t{1} << bits) < n) {
        ++bits;
    }
    std::array<std::uint32_t, std::size_t{1} << kMaxTableBits> table; // position + 1; 0 = empty
    std::fill_n(table.begin(), std::size_t{1} << bits, 0U);

    std::string out(n, '\0'); // packed output must be smaller than n + 1 bytes to be kept
    std::size_t header = 0;
    out[header++] = kPackedFormat;
    for (std::size_t v = n;; v >>= 7) {
        out[header++] = static_cast<char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        if (v < 0x80) {
            break;
        }
    }
    Packer packer(out.data() + header, n - header);

    const char* src = json.data();
    const char* const src_end = src + n;
    std::size_t anchor = 0;
    std::size_t i = 0;
    std::size_t misses = 0;
    const DictionaryTable& dictionary = dictionary_table();
    while (i + kMinMatch <= n) {
        const std::uint32_t v = load32(src + i);
        std::uint32_t& slot = table[hash4(v, bits)];
        const std::size_t candidate = slot;
        slot = static_cast<std::uint32_t>(i + 1);
        // The longer of two candidates: earlier in this record, or in the dictionary.
        std::size_t length = 0;
        std::size_t offset = 0;
        if (candidate != 0 && i - (candidate - 1) <= kMaxOffset &&
            load32(src + candidate - 1) == v) {
            const std::size_t from = candidate - 1;
            length =
                kMinMatch + common_length(src + from + kMinMatch, src + i + kMinMatch, src_end);
            offset = i - from;
        }
        const std::size_t in_dictionary = dictionary[hash4(v, kDictionaryBits)];
        if (in_dictionary != 0 && i + kDictionary.size() <= kMaxOffset) {
            const char* from = kDictionary.data() + in_dictionary - 1;
            const std::size_t room = std::min(n - i, kDictionary.size() - (in_dictionary - 1));
            if (room >= kMinMatch && load32(from) == v) {
                const std::size_t found =
                    kMinMatch +
                    common_length(from + kMinMatch, src + i + kMinMatch, src + i + room);
                if (found > length) {
                    length = found;
                    offset = i + kDictionary.size() - (in_dictionary - 1);
                }
            }
        }
        if (length == 0) {
            i += 1 + (misses++ >> 5); // skip faster through incompressible stretches
            continue;
        }
        // Extend backwards over pending literals, staying on the side (record or dictionary) the
        // match started on: the decoder refuses a match that crosses from one into the other.
        if (offset <= i) {
            while (i > anchor && offset < i && src[i - 1] == src[i - 1 - offset]) {
                --i;
                ++length;
            }
        } else {
            while (i > anchor && offset - i < kDictionary.size() &&
                   src[i - 1] == kDictionary[kDictionary.size() - (offset - i) - 1]) {
                --i;
                ++length;
            }
        }
        if (!packer.emit(src + anchor, i - anchor, offset, length)) {
            return raw(json);
        }
        i += length;
        anchor = i;
        misses = 0;
        if (i + 2 <= n && i >= 2) { // index a position inside the match for the next search
            table[hash4(load32(src + i - 2), bits)] = static_cast<std::uint32_t>(i - 2 + 1);
        }
    }
    if (anchor < n && !packer.emit(src + anchor, n - anchor, 0, 0)) {
        return raw(json);
    }
    out.resize(static_cast<std::size_t>(packer.position() - out.data()));
    return out;
}

std::string decompress_record(std::string_view stored, std::string_view where) {
    if (stored.empty()) {
        corrupt(where, "it is empty");
    }
    if (stored[0] == kRawFormat) {
        return std::string(stored.substr(1));
    }
    if (stored[0] != kPackedFormat) {
        corrupt(where, "unknown format byte");
    }
    const auto* ip = reinterpret_cast<const unsigned char*>(stored.data()) + 1;
    const auto* const end = reinterpret_cast<const unsigned char*>(stored.data()) + stored.size();

    std::size_t n = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (ip == end || shift > 56) {
            corrupt(where, "bad length header");
        }
        const unsigned byte = *ip++;
        n |= static_cast<std::size_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            break;
        }
    }
    if (n / kMaxExpansion > stored.size()) {
        corrupt(where, "length header larger than the data can hold");
    }

    std::string out(n, '\0');
    char* const o = out.data();
    std::size_t op = 0;
    // Reads a length extension onto `value`; false when the input ends or the length passes `cap`.
    const auto extend = [&](std::size_t& value, std::size_t cap) {
        unsigned byte = 255;
        while (byte == 255) {
            if (ip == end) {
                return false;
            }
            byte = *ip++;
            value += byte;
            if (value > cap) {
                return false;
            }
        }
        return true;
    };
    while (op < n) {
        if (ip == end) {
            corrupt(where, "truncated");
        }
        const unsigned token = *ip++;
        std::size_t literals = token >> 4;
        if (literals == kNibbleMax && !extend(literals, n - op)) {
            corrupt(where, "literal run past the end");
        }
        if (literals > n - op || literals > static_cast<std::size_t>(end - ip)) {
            corrupt(where, "literal run past the end");
        }
        // Short runs copy a fixed 16 bytes when both sides have room (the excess is overwritten
        // later): one pair of moves instead of a variable-length copy.
        if (literals <= kFastCopy && n - op >= kFastCopy &&
            static_cast<std::size_t>(end - ip) >= kFastCopy) {
            std::memcpy(o + op, ip, kFastCopy);
        } else {
            std::memcpy(o + op, ip, literals);
        }
        op += literals;
        ip += literals;
        if (op == n) {
            break;
        }
        if (end - ip < 2) {
            corrupt(where, "truncated match");
        }
        const std::size_t offset = std::size_t{ip[0]} | (std::size_t{ip[1]} << 8);
        ip += 2;
        std::size_t length = (token & kNibbleMax) + kMinMatch;
        if ((token & kNibbleMax) == kNibbleMax && !extend(length, n - op)) {
            corrupt(where, "match length past the end");
        }
        if (length > n - op) {
            corrupt(where, "match length past the end");
        }
        char* dst = o + op;
        if (offset > op) { // a match in the dictionary, which never runs on into the output
            const std::size_t back = offset - op;
            if (back > kDictionary.size() || length > back) {
                corrupt(where, "match offset before the start");
            }
            const char* from = kDictionary.data() + (kDictionary.size() - back);
            if (length <= kFastCopy && back >= kFastCopy && n - op >= kFastCopy) {
                std::memcpy(dst, from, kFastCopy); // a constant size: two moves, no call
            } else {
                std::memcpy(dst, from, length);
            }
            op += length;
            continue;
        }
        if (offset == 0) {
            corrupt(where, "match offset zero");
        }
        const char* from = dst - offset;
        if (length <= kFastCopy && offset >= kFastCopy && n - op >= kFastCopy) {
            std::memcpy(dst, from, kFastCopy);
        } else if (offset >= length) {
            std::memcpy(dst, from, length);
        } else if (offset >= 8) { // overlapping: 8-byte steps never read what they have not written
            std::size_t k = 0;
            for (; k + 8 <= length; k += 8) {
                std::memcpy(dst + k, from + k, 8);
            }
            for (; k < length; ++k) {
                dst[k] = from[k];
            }
        } else {
            for (std::size_t k = 0; k < length; ++k) {
                dst[k] = from[k];
            }
        }
        op += length;
    }
    if (ip != end) {
        corrupt(where, "trailing bytes after the record");
    }
    return out;
}

} // namespace airm
