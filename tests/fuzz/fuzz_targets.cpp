#include "fuzz_targets.hpp"

#include "engine/analysis/analyzer.hpp"
#include "engine/analysis/detail/ascii.hpp"
#include "engine/error.hpp"
#include "engine/record/codec.hpp"
#include "engine/record/store.hpp"
#include "engine/utf8.hpp"
#include "indexer/load/csv_reader.hpp"
#include "indexer/load/record_reader.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "query/search/detail/ascii_words.hpp"
#include "query/search/parser.hpp"

#include <cstdlib>
#include <sstream>
#include <string_view>

namespace airm::fuzz {
namespace {

std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// Invariants that must hold whatever the input: abort (a finding) when one breaks.
void require(bool condition) {
    if (!condition) {
        std::abort();
    }
}

} // namespace

int csv_reader(const std::uint8_t* data, std::size_t size) {
    std::istringstream in{std::string(as_text(data, size))};
    CsvReader reader(in, "fuzz.csv");
    std::vector<std::string> row;
    try {
        std::size_t rows = 0;
        while (reader.next(row) && ++rows < 100000) {
            for (const auto& field : row) {
                require(
                    !utf8::first_invalid(field)); // invalid UTF-8 must be refused, never returned
            }
        }
    } catch (const Error&) {
    }
    // The same bytes through the mapped record reader.
    std::istringstream again{std::string(as_text(data, size))};
    LoadOptions options;
    options.format = InputFormat::csv;
    options.mapping.assign("id=id");
    options.mapping.assign("text=text");
    try {
        auto records = open_records(again, "fuzz.csv", options);
        LoadedRecord loaded;
        while (records->next(loaded)) {
            require(!loaded.record.id.empty());
        }
    } catch (const Error&) {
    }
    return 0;
}

int jsonl_reader(const std::uint8_t* data, std::size_t size) {
    for (InputFormat format : {InputFormat::jsonl, InputFormat::json}) {
        std::istringstream in{std::string(as_text(data, size))};
        LoadOptions options;
        options.format = format;
        try {
            auto records = open_records(in, "fuzz.jsonl", options);
            LoadedRecord loaded;
            while (records->next(loaded)) {
                require(!loaded.record.id.empty());
                // What was read must serialise and read back to the same record.
                require(parse_record(to_json_line(loaded.record), "round trip") == loaded.record);
            }
        } catch (const Error&) {
        }
    }
    return 0;
}

int taxonomy_loader(const std::uint8_t* data, std::size_t size) {
    try {
        Taxonomy taxonomy = parse_taxonomy(as_text(data, size), "fuzz.json");
        // Every code's ancestors resolve, and the saved form reads back with the same codes.
        Taxonomy again = Taxonomy::from_json(taxonomy.to_json(), "round trip");
        require(again.codes() == taxonomy.codes());
        for (const auto& code : taxonomy.codes()) {
            (void)taxonomy.children(code);
            (void)taxonomy.nearest(code);
        }
    } catch (const Error&) {
    }
    return 0;
}

/// Whether two token lists agree in everything but the stems: terms, offsets, positions, kinds.
bool same_tokens(const std::vector<Token>& a, const std::vector<Token>& b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].term != b[i].term || a[i].begin != b[i].begin || a[i].end != b[i].end ||
            a[i].position != b[i].position || a[i].kind != b[i].kind)
            return false;
    }
    return true;
}

int analyzer(const std::uint8_t* data, std::size_t size) {
    static const Analyzer analyzer;
    std::string_view text = as_text(data, size);
    std::uint32_t last_position = 0;
    const std::vector<Token> tokens = analyzer.analyze(text);
    for (const Token& token : tokens) {
        require(token.begin < token.end && token.end <= text.size());
        require(!token.term.empty() && !utf8::first_invalid(token.term));
        require(token.position + 8 >=
                last_position); // only a compound steps back, to its first part
        last_position = std::max(last_position, token.position);
        (void)analyzer.stem(token);
    }
    (void)analyzer.fold(text);
    // Differential: the ICU-free paths must find exactly what ICU finds.
    require(same_tokens(tokens, detail::analyze_with_icu_only(AnalyzerConfig{}, text)));
    if (auto fast = plain_words(text, nullptr, AnalyzerConfig{}.fold_diacritics)) {
        std::vector<Token> words;
        for (const Token& token : tokens) {
            if (token.kind != TokenKind::compound)
                words.push_back(token);
        }
        require(fast->size() == words.size());
        for (std::size_t i = 0; i < words.size(); ++i) {
            require(fast->at(i).term == words[i].term && fast->at(i).begin == words[i].begin &&
                    fast->at(i).end == words[i].end && fast->at(i).kind == words[i].kind);
        }
    }
    return 0;
}

int query_parser(const std::uint8_t* data, std::size_t size) {
    const QuerySyntax syntax{{"category", "actor", "lifecycle"}};
    std::string_view query = as_text(data, size);
    ParsedQuery lenient = parse_query(query, syntax); // never throws
    (void)describe(lenient.root);
    for (const QueryNode* node : positive_text_nodes(lenient.root)) {
        require(node->begin <= node->end && node->end <= query.size());
    }
    try {
        ParsedQuery strict = parse_query_strict(query, syntax);
        (void)describe(strict.root);
    } catch (const QueryError&) {
    }
    return 0;
}

int record_codec(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes = as_text(data, size);
    // The bytes as a stored record: decoded or refused with IndexError, never a crash.
    try {
        (void)decompress_record(bytes, "fuzz");
    } catch (const IndexError&) {
    }
    // The bytes as a record: packing and unpacking gives them back.
    const std::string stored = compress_record(bytes);
    require(!stored.empty() && stored.size() <= size + 1);
    require(decompress_record(stored, "fuzz") == bytes);
    // The packed form damaged at a place that depends on the input: refused or decoded, no crash.
    if (stored.size() > 1) {
        std::string damaged = stored;
        const std::size_t at = 1 + (size * 7919) % (stored.size() - 1);
        damaged[at] = static_cast<char>(damaged[at] ^ (size == 0 ? 1 : data[size - 1] | 1));
        for (std::string_view candidate :
             {std::string_view(damaged), std::string_view(stored).substr(0, at)}) {
            try {
                (void)decompress_record(candidate, "fuzz");
            } catch (const IndexError&) {
            }
        }
    }
    // The bytes as a record pointer (kSlotRecord): decoded or refused, and a decoded pointer
    // encodes to one that decodes the same.
    if (const auto pointer = decode_record_pointer(bytes)) {
        require(decode_record_pointer(encode_record_pointer(*pointer)) == pointer);
    }
    return 0;
}

const std::vector<Target>& targets() {
    static const std::vector<Target> all = {
        {"csv_reader", csv_reader},           {"jsonl_reader", jsonl_reader},
        {"taxonomy_loader", taxonomy_loader}, {"analyzer", analyzer},
        {"query_parser", query_parser},       {"record_codec", record_codec},
    };
    return all;
}

} // namespace airm::fuzz
