/// `airm search`, `airm facets` and `airm similar`: the terminal and JSON faces of query/searcher.

#include "cli_context.hpp"
#include "commands.hpp"
#include "engine/error.hpp"
#include "query/search/record_view.hpp"
#include "query/search/result_json.hpp"
#include "query/search/searcher.hpp"
#include "table_output.hpp"
#include "terminal.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

namespace airm::cli {
namespace {

using nlohmann::json;

/// Options shared by the three commands.
struct SearchArgs {
    std::string db;
    std::vector<std::string> words;
    std::vector<std::string> filters;
    std::vector<std::string> facets;
    std::size_t limit = 10;
    std::size_t offset = 0;
    std::string sort = "relevance";
    bool json = false;
    bool explain = false;
    bool auto_correct = false;
    bool strict = false;
    bool no_synonyms = false;
    std::vector<std::string> synonym_files;
    std::string ranking;
    std::string batch;
    std::string id;
    TableArgs table;
    bool skip_bad_lines = false;
};

/// Indents one line of JSON for reading.
std::string pretty(const std::string& line) {
    return nlohmann::ordered_json::parse(line).dump(2);
}

std::vector<Filter> parse_filters(const std::vector<std::string>& specs) {
    std::vector<Filter> out;
    for (const auto& spec : specs) {
        auto filter = filter_from_spec(spec);
        if (!filter) {
            throw InvalidInput("--filter '" + spec +
                               "' is not FIELD=VALUE; write e.g. --filter category=2.2 or --filter "
                               "year=2023..2025");
        }
        out.push_back(std::move(*filter));
    }
    return out;
}

SortOrder parse_sort(const std::string& s) {
    if (auto order = sort_order_named(s))
        return *order;
    throw InvalidInput("--sort '" + s + "' is not an order; use relevance, year or id");
}

SearcherOptions searcher_options(const SearchArgs& args, const Index& index) {
    SearcherOptions options;
    const Analyzer analyzer = index.make_analyzer();
    if (!args.no_synonyms) {
        const std::string bundled = corpus_dir() + "/synonyms.txt";
        if (std::filesystem::exists(bundled))
            options.synonyms = SynonymTable::load(bundled, analyzer);
    }
    for (const auto& file : args.synonym_files)
        options.synonyms.merge(SynonymTable::load(file, analyzer));
    options.ranking.set(args.ranking);
    // Many queries: load record lengths and facet values once and score in memory. One query:
    // Xapian's matcher, which loads nothing.
    options.keep_in_memory = !args.batch.empty();
    return options;
}

/// The facets to count: --facets, or the index's defaults; `--facets none` counts none.
std::vector<std::string> facets_to_count(const std::vector<std::string>& asked,
                                         const IndexMetadata& metadata) {
    if (asked.empty())
        return default_facets(metadata);
    if (std::find(asked.begin(), asked.end(), "none") != asked.end()) {
        if (asked.size() > 1) {
            throw InvalidInput("--facets none counts no facet, so it cannot be given with other "
                               "facets; leave out none or the others");
        }
        return {};
    }
    return asked;
}

SearchRequest make_request(const SearchArgs& args, const Index& index) {
    SearchRequest r;
    for (const auto& w : args.words)
        r.query += (r.query.empty() ? "" : " ") + w;
    r.filters = parse_filters(args.filters);
    r.facets = facets_to_count(args.facets, index.metadata());
    r.limit = args.limit;
    r.offset = args.offset;
    r.sort = parse_sort(args.sort);
    r.explain = args.explain;
    r.auto_correct = args.auto_correct;
    r.strict = args.strict;
    return r;
}

std::string format_score(double score) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", score);
    return buf;
}

/// " [title,text]": the fields an --explain part matched in ("" for none).
std::string fields_of(const std::vector<std::string>& fields) {
    std::string out;
    for (const auto& f : fields)
        out += (out.empty() ? "" : ",") + f;
    return out.empty() ? out : " [" + out + "]";
}

void print_facet_tree(const std::vector<FacetValue>& values, std::size_t depth) {
    for (const auto& v : values) {
        std::string line = std::string(2 + depth * 2, ' ') + (v.selected ? bold(v.value) : v.value);
        if (!v.name.empty())
            line += " " + v.name;
        std::cout << line << "  " << dim(with_commas(v.count))
                  << (v.selected ? dim("  (filtered)") : "") << '\n';
        print_facet_tree(v.children, depth + 1);
    }
}

void print_facets(const std::vector<FacetCounts>& facets, std::size_t width) {
    for (const auto& f : facets) {
        if (f.values.empty())
            continue;
        std::cout << '\n'
                  << bold(f.facet)
                  << (f.drill_sideways ? dim("  (counts as if this facet were not filtered)") : "")
                  << '\n';
        if (f.hierarchical) {
            print_facet_tree(f.values, 0);
            continue;
        }
        std::string line;
        std::size_t col = 2;
        std::cout << "  ";
        for (std::size_t i = 0; i < f.values.size(); ++i) {
            const auto& v = f.values[i];
            std::string item =
                (v.selected ? bold(v.value) : v.value) + " " + dim(with_commas(v.count));
            std::size_t w = display_width(v.value) + 1 + with_commas(v.count).size() + (i ? 3 : 0);
            if (col + w > width && col > 2) {
                std::cout << "\n  ";
                col = 2;
            } else if (i > 0) {
                std::cout << dim(" · ");
            }
            std::cout << item;
            col += w;
        }
        std::cout << '\n';
    }
}

/// "3.1 Testing & Auditing · Developer · Deploy": hierarchical facets first, with names.
std::string facets_line(const Record& record, const IndexMetadata& metadata) {
    std::string out;
    for (bool hierarchical : {true, false}) {
        for (const auto& [facet, values] : record.facets) {
            const FacetInfo* info = metadata.facet(facet);
            if ((info != nullptr && info->hierarchical) != hierarchical)
                continue;
            const Taxonomy* taxonomy = metadata.taxonomy(facet);
            std::string part;
            for (const auto& v : values) {
                std::string shown = v;
                if (taxonomy != nullptr) {
                    if (auto name = taxonomy->name_of(v); !name.empty())
                        shown += " " + name;
                }
                part += (part.empty() ? "" : "; ") + shown;
            }
            out += (out.empty() ? "" : " · ") + part;
        }
    }
    return out;
}

void print_result(const SearchResult& result, const SearchRequest& request,
                  const IndexMetadata& metadata, bool show_facets) {
    const std::size_t width = std::min<std::size_t>(terminal_columns(), 120);
    for (const auto& notice : result.notices)
        std::cerr << "airm: note: " << notice << '\n';
    if (result.corrected) {
        std::cout << dim("showing results for ") << bold(result.query)
                  << dim(" (no match for \"" + result.original_query + "\")") << '\n';
    }
    // Records matching only some words rank among the full matches by their score: when one
    // comes before a full match, each is marked instead of a line above them all.
    bool interleaved = false;
    for (std::size_t i = 1; i < result.hits.size(); ++i)
        interleaved = interleaved || (result.hits[i - 1].partial && !result.hits[i].partial);
    std::cout << bold(with_commas(result.total)) << (result.total == 1 ? " record" : " records");
    if (!result.query.empty())
        std::cout << " for " << result.query;
    if (interleaved) {
        std::cout << dim(" (+" + with_commas(result.partial_total) +
                         " matching only some of the words)");
    }
    if (!result.hits.empty()) {
        std::cout << dim("  (" + std::to_string(result.hits.front().rank) + "-" +
                         std::to_string(result.hits.back().rank) + " shown)");
    }
    std::cout << '\n';
    if (result.did_you_mean && !result.corrected) {
        std::cout << "did you mean: " << bold(*result.did_you_mean)
                  << dim("  (or search again with --auto-correct)") << '\n';
    }
    bool partial_shown = interleaved;
    for (const auto& hit : result.hits) {
        if (hit.partial && !partial_shown) {
            partial_shown = true;
            std::cout << '\n'
                      << dim("-- " + with_commas(result.partial_total) +
                             " more matching only some of the words --")
                      << '\n';
        }
        // Everything from the data goes through printable(): it never drives the terminal.
        std::cout << '\n'
                  << dim(std::to_string(hit.rank) + ".") << ' ' << bold(printable(hit.record.title))
                  << "  " << dim(printable(hit.record.id))
                  << dim("  score " + format_score(hit.score))
                  << dim(interleaved && hit.partial ? "  (only some of the words)" : "") << '\n';
        if (request.snippets && !hit.snippet.text.empty()) {
            Snippet shown = hit.snippet;
            shown.text = printable(shown.text); // byte for byte: the marks' offsets hold
            std::string snippet = snippet_marked(shown, kMarkOn, kMarkOff);
            std::string prefix = hit.snippet.field == "text" ? "" : hit.snippet.field + ": ";
            std::cout << wrap(prefix + snippet, 4, width, Style::bold) << '\n';
        }
        if (auto f = facets_line(hit.record, metadata); !f.empty()) {
            std::cout << wrap(marked(printable(f)), 4, width, Style::dim) << '\n';
        }
        if (auto s = source_line(hit.record.source); !s.empty()) {
            std::cout << wrap(marked(printable(s)), 4, width, Style::dim) << '\n';
        }
        if (request.explain) {
            std::string line = "score " + format_score(hit.score) + " =";
            for (std::size_t i = 0; i < hit.explain.size(); ++i) {
                const auto& p = hit.explain[i];
                line += (i ? " + " : " ") + p.label + " " + format_score(p.weight) +
                        fields_of(p.fields);
                for (const auto& s : p.synonyms) {
                    line += " (synonym \"" + s.label + "\" " + format_score(s.weight) +
                            fields_of(s.fields) + ")";
                }
            }
            std::cout << "    " << dim(line) << '\n';
        }
    }
    if (request.explain)
        std::cout << '\n' << dim("ranking: " + result.ranking) << '\n';
    if (show_facets)
        print_facets(result.facets, width);
}

void run_batch_line(const SearchArgs& args, const std::string& line, const std::string& where,
                    const std::vector<std::string>& facets, Searcher& searcher, const Index& index);

void run_batch(const SearchArgs& args) {
    Index index = open_index(args.db);
    Searcher searcher(index, searcher_options(args, index));
    std::ifstream in(args.batch, std::ios::binary);
    if (!in)
        throw NotFound("batch file '" + args.batch +
                       "' does not exist or cannot be read; check the path");
    const std::vector<std::string> facets = facets_to_count(args.facets, index.metadata());
    std::string line;
    std::size_t line_no = 0;
    std::vector<std::string> skipped;
    std::uint64_t answered = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        const std::string where = "line " + std::to_string(line_no) + " of " + args.batch;
        try {
            run_batch_line(args, line, where, facets, searcher, index);
            ++answered;
        } catch (const Error& e) {
            // A line's own fault (not JSON, a bad filter, a malformed --strict query) is skipped;
            // the index's is not.
            const bool bad_line = dynamic_cast<const InvalidInput*>(&e) != nullptr ||
                                  dynamic_cast<const QueryError*>(&e) != nullptr;
            if (!args.skip_bad_lines || !bad_line)
                throw;
            const std::string message = e.what();
            skipped.push_back(message.rfind(where, 0) == 0 ? message : where + ": " + message);
            std::cerr << "airm: skipped " << skipped.back() << '\n';
        }
    }
    std::fflush(stdout);
    if (!skipped.empty() && answered == 0) {
        throw InvalidInput("every query of " + args.batch + " was skipped as bad (" +
                           std::to_string(skipped.size()) +
                           "), so nothing was searched; fix the lines reported above");
    }
    report_skipped(skipped, "searched");
}

void run_batch_line(const SearchArgs& args, const std::string& line, const std::string& where,
                    const std::vector<std::string>& facets, Searcher& searcher,
                    const Index& index) {
    std::string out;
    auto format_ms = [](double ms) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.4f", ms);
        return std::string(buf);
    };
    {
        json q;
        try {
            q = json::parse(line);
        } catch (const json::parse_error& e) {
            throw InvalidInput(where + " is not JSON (" + e.what() +
                               "); write one object a line, like {\"q\": \"red teaming\"}");
        }
        if (!q.is_object() || !q.contains("q") || !q["q"].is_string()) {
            throw InvalidInput(where +
                               " has no \"q\" string; write one object a line, like {\"q\": \"red "
                               "teaming\", \"filter\": {\"category\": \"3.6\"}}");
        }
        for (const auto& [key, value] : q.items()) {
            if (key != "q" && key != "filter")
                throw InvalidInput(where + " has the unknown key \"" + key +
                                   "\"; a line holds \"q\" and \"filter\" only (paging, "
                                   "sorting and facets are options of the command: --limit, "
                                   "--offset, --sort, --facets)");
        }
        SearchRequest r;
        r.query = q["q"].get<std::string>();
        r.facets = facets;
        r.limit = args.limit;
        r.offset = args.offset;
        r.sort = parse_sort(args.sort);
        r.strict = args.strict;
        r.auto_correct = args.auto_correct;
        if (q.contains("filter")) {
            if (!q["filter"].is_object())
                throw InvalidInput(where +
                                   ": \"filter\" must be an object like {\"category\": \"3.6\"}");
            for (const auto& [field, value] : q["filter"].items()) {
                if (value.is_string()) {
                    r.filters.push_back(Filter{field, value.get<std::string>()});
                } else if (value.is_array()) {
                    for (const auto& v : value) {
                        if (!v.is_string())
                            throw InvalidInput(where + ": filter values must be strings");
                        r.filters.push_back(Filter{field, v.get<std::string>()});
                    }
                } else {
                    throw InvalidInput(where + ": filter " + field +
                                       " must be a string or an array of strings");
                }
            }
        }
        const auto start = std::chrono::steady_clock::now();
        SearchResult result;
        try {
            result = searcher.search(r);
        } catch (const QueryError& e) {
            throw QueryError(where + ": " + e.what());
        }
        out = search_result_json(result, r, index.metadata());
        const double took =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        // took_ms covers the search and writing its JSON: appended as the object's last member.
        out.pop_back();
        out += ",\"took_ms\":" + format_ms(took) + "}\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
    }
}

void add_common(CLI::App* cmd, SearchArgs& a) {
    add_db_option(*cmd, a.db);
    cmd->add_option("--filter", a.filters,
                    "FIELD=VALUE, repeatable; a facet value (a taxonomy code matches everything "
                    "below it) or "
                    "year=2023..2025. Values of one field are OR-ed, fields AND-ed")
        ->expected(1)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--facets", a.facets,
                    "Facets to count, comma-separated (default: category, lifecycle, actor); "
                    "none counts none")
        ->delimiter(',')
        ->expected(1)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_flag("--json", a.json, "Print JSON (schema 1)");
}

/// The largest --limit: a page that big is already more than anyone reads.
constexpr long long kMaxLimit = 10000;
/// The largest --offset: far beyond any index's results, and within Xapian's document counts.
constexpr long long kMaxOffset = 1000000000;

void add_page(CLI::App* cmd, SearchArgs& a) {
    cmd->add_option("--limit", a.limit, "Results to show")
        ->check(whole_number_in(1, kMaxLimit))
        ->capture_default_str();
    cmd->add_option("--offset", a.offset, "Results to skip")
        ->check(whole_number_in(0, kMaxOffset))
        ->capture_default_str();
}

void add_ranking(CLI::App* cmd, SearchArgs& a) {
    add_page(cmd, a);
    cmd->add_option("--sort", a.sort, "relevance, year (newest first) or id")
        ->check(one_of({"relevance", "year", "id"}))
        ->capture_default_str();
    cmd->add_flag("--no-synonyms", a.no_synonyms,
                  "Do not apply the bundled synonyms (corpus/synonyms.txt)");
    cmd->add_option("--synonyms", a.synonym_files,
                    "A synonyms file of your own (groups 'a = b' a line), added")
        ->expected(1)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--ranking", a.ranking,
                    "Ranking settings; the defaults are \"k1=1.2 b=0.5 min_normlen=0.5 title=1 "
                    "common=0.2 synonyms=0.8 coord=0.5 prior=0.2\" (see the README)");
}

/// The fields of --format csv|tsv, for --help.
const std::string kSearchFields =
    "rank, id, score, partial, title, snippet, text, reasoning, codes, any facet (category, "
    "actor, ...), source, authors, year, url (default: rank,id,score,title,codes)";

/// `--format json` is `--json`; `--fields` needs a table format.
void check_table_args(SearchArgs& a, std::string_view command) {
    if (a.table.format == "json")
        a.json = true;
    check_fields_need_table(a.table, command);
}

void print_table(const SearchResult& result, const IndexMetadata& metadata, const TableArgs& args) {
    for (const auto& notice : result.notices) // stdout holds the table alone
        std::cerr << "airm: note: " << notice << '\n';
    if (result.corrected) {
        std::cerr << "airm: note: showing results for " << result.query << " (no match for \""
                  << result.original_query << "\")\n";
    } else if (result.did_you_mean) {
        std::cerr << "airm: note: did you mean: " << *result.did_you_mean
                  << " (or search again with --auto-correct)\n";
    }
    const std::string table = search_table(result, metadata, args);
    std::fwrite(table.data(), 1, table.size(), stdout);
}

} // namespace

void register_search_commands(CLI::App& app) {
    {
        auto a = std::make_shared<SearchArgs>();
        CLI::App* cmd = app.add_subcommand(
            "search",
            "Search records: words (all must match), OR, NOT/-word, \"phrase\", (groups), "
            "title:/text:/reasoning:/source:word, word*, category:3.1, year:2023..2025");
        cmd->add_option("query", a->words,
                        "The query (quote it in the shell; put -- before a leading -word)");
        add_common(cmd, *a);
        add_ranking(cmd, *a);
        cmd->add_flag("--explain", a->explain,
                      "Show each result's score and what contributed to it");
        cmd->add_flag("--auto-correct", a->auto_correct,
                      "Search the spelling suggestion when a word is unknown");
        cmd->add_flag("--strict", a->strict,
                      "Refuse a malformed query instead of reading it as plain words");
        CLI::Option* batch = cmd->add_option(
            "--batch", a->batch,
            "Run every query of a JSON Lines file ({\"q\": ..., \"filter\": {...}} a line) with "
            "the index opened once; prints one JSON result a line, with took_ms");
        cmd->add_flag("--skip-bad-lines", a->skip_bad_lines, kSkipBadLinesHelp)->needs(batch);
        add_table_options(*cmd, a->table, "--format,--output-format", kSearchFields);
        cmd->callback([a]() {
            check_table_args(*a, "search");
            if (!a->batch.empty()) {
                if (a->table.table()) {
                    throw InvalidInput("--batch prints one JSON result a line; --format " +
                                       a->table.format +
                                       " is for one query: leave out --format or --batch");
                }
                run_batch(*a);
                return;
            }
            Index index = open_index(a->db);
            Searcher searcher(index, searcher_options(*a, index));
            SearchRequest request = make_request(*a, index);
            SearchResult result = searcher.search(request);
            if (a->table.table()) {
                print_table(result, index.metadata(), a->table);
            } else if (a->json) {
                std::cout << pretty(search_result_json(result, request, index.metadata())) << '\n';
            } else {
                print_result(result, request, index.metadata(), true);
            }
        });
    }
    {
        auto a = std::make_shared<SearchArgs>();
        CLI::App* cmd = app.add_subcommand(
            "facets", "Facet counts alone (optionally for a query), for browsing");
        cmd->add_option("query", a->words, "An optional query restricting the records counted");
        add_common(cmd, *a);
        cmd->callback([a]() {
            Index index = open_index(a->db);
            SearcherOptions options = searcher_options(*a, index);
            options.keep_in_memory =
                true; // counting every record: the facet columns pay off at once
            Searcher searcher(index, std::move(options));
            SearchRequest request = make_request(*a, index);
            if (a->facets.empty()) {
                request.facets.clear();
                for (const auto& [name, info] : index.metadata().facets)
                    request.facets.push_back(name);
            }
            request.limit = 0;
            request.snippets = false;
            SearchResult result = searcher.search(request);
            if (a->json) {
                std::cout << pretty(facet_result_json(result)) << '\n';
                return;
            }
            for (const auto& notice : result.notices)
                std::cerr << "airm: note: " << notice << '\n';
            std::cout << bold(with_commas(result.total))
                      << (result.total == 1 ? " record" : " records")
                      << (result.query.empty() ? "" : " for " + result.query) << '\n';
            print_facets(result.facets, std::min<std::size_t>(terminal_columns(), 120));
        });
    }
    {
        auto a = std::make_shared<SearchArgs>();
        CLI::App* cmd =
            app.add_subcommand("similar", "Records most like a given one (more-like-this)");
        cmd->add_option("id", a->id, "Record id")->required();
        add_common(cmd, *a);
        add_page(cmd, *a);
        add_table_options(*cmd, a->table, "--format,--output-format", kSearchFields);
        cmd->callback([a]() {
            check_table_args(*a, "similar");
            Index index = open_index(a->db);
            SearcherOptions options;
            options.keep_in_memory = false; // one query: nothing to load
            Searcher searcher(index, std::move(options));
            SearchRequest request = make_request(*a, index);
            SearchResult result = searcher.similar(a->id, request);
            if (a->table.table()) {
                print_table(result, index.metadata(), a->table);
            } else if (a->json) {
                std::cout << pretty(search_result_json(result, request, index.metadata())) << '\n';
            } else {
                print_result(result, request, index.metadata(), true);
            }
        });
    }
}

} // namespace airm::cli
