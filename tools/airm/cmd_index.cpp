#include "cli_context.hpp"
#include "commands.hpp"
#include "engine/error.hpp"
#include "engine/index.hpp"
#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "terminal.hpp"

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace airm::cli {
namespace {

struct IndexArgs {
    std::string db;
    std::vector<std::string> inputs;
    std::string format;
    std::vector<std::string> maps;
    std::string mapping_file;
    std::string documents;
    std::vector<std::string> taxonomies;
    bool allow_new_codes = false;
    bool rebuild = false;
    std::string shard;
    std::string language = "english";
    bool no_fold = false;
    bool json = false;
    double wait_seconds = 0;
    std::string delimiter;
    bool skip_bad_lines = false;
};

std::string read_file(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw NotFound(std::string(what) + " '" + path +
                       "' does not exist or cannot be read; check the path");
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::chrono::milliseconds to_wait(double seconds) {
    if (seconds < 0) {
        throw InvalidInput("--wait " + std::to_string(seconds) +
                           " is negative; give the seconds to wait, e.g. --wait 30");
    }
    return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

/// True when one of `inputs`, read as `options` say, is in one of `formats`.
bool any_input_in(const std::vector<std::string>& inputs, const LoadOptions& options,
                  std::initializer_list<InputFormat> formats) {
    for (const auto& input : inputs) {
        const InputFormat format = options.format.value_or(guess_input_format(input));
        if (std::find(formats.begin(), formats.end(), format) != formats.end())
            return true;
    }
    return false;
}

/// "'FILE' is" for one input, else `many` ("the inputs are").
std::string inputs_are(const std::vector<std::string>& inputs, const std::string& many) {
    return inputs.size() == 1 ? "'" + inputs.front() + "' is" : many;
}

void run_index(const IndexArgs& args) {
    IndexOptions options;
    if (!args.format.empty()) {
        options.load.format = parse_input_format(args.format);
    }
    if (!args.mapping_file.empty()) {
        options.load.mapping = ColumnMapping::from_json(
            read_file(args.mapping_file, "mapping file"), args.mapping_file);
    }
    for (const auto& m : args.maps) {
        options.load.mapping.assign(m);
    }
    options.load.documents_csv = args.documents;
    if (!args.delimiter.empty()) {
        options.load.delimiter = args.delimiter.front();
        if (!any_input_in(args.inputs, options.load, {InputFormat::csv, InputFormat::mit_csv})) {
            throw InvalidInput("--delimiter separates the fields of CSV inputs, and " +
                               inputs_are(args.inputs, "the inputs are") +
                               " JSON; leave out --delimiter, or pass --format csv");
        }
    }
    if (!args.documents.empty()) {
        // The documents table is joined to CSV records only: with JSON inputs alone it would be
        // ignored.
        if (!any_input_in(args.inputs, options.load, {InputFormat::csv, InputFormat::mit_csv})) {
            throw InvalidInput(
                "--documents " + args.documents + " is joined to CSV inputs only, and " +
                inputs_are(args.inputs, "the inputs are") +
                " JSON; give each record its source in its \"source\" object, or leave out "
                "--documents");
        }
    }
    for (const auto& spec : args.taxonomies) {
        // FACET=FILE or FILE (the file names its facet, else "category").
        auto eq = spec.find('=');
        if (eq != std::string::npos && eq > 0 && spec.find('/') > eq) {
            // The facet named on the command line wins over the one the file names.
            options.taxonomies.push_back(
                load_taxonomy_file(spec.substr(eq + 1), spec.substr(0, eq)));
            options.taxonomies.back().set_facet(spec.substr(0, eq));
        } else {
            options.taxonomies.push_back(load_taxonomy_file(spec, "category"));
        }
    }
    if (options.taxonomies.empty() && options.load.format == InputFormat::mit_csv) {
        options.taxonomies.push_back(
            load_taxonomy_file(corpus_dir() + "/taxonomy.json", "category"));
    }
    options.allow_new_codes = args.allow_new_codes;
    options.rebuild = args.rebuild;
    if (!args.shard.empty()) {
        options.shard = ShardSpec::parse(args.shard);
        if (!options.shard) {
            throw InvalidInput("--shard '" + args.shard +
                               "' is not K/N with 0 <= K < N <= 65536; e.g. --shard 0/3 builds "
                               "the first of 3 shards, --shard 0/1 one index in the same layout");
        }
    }
    options.lock_wait = to_wait(args.wait_seconds);
    options.analyzer.language = args.language;
    options.analyzer.fold_diacritics = !args.no_fold;
    ProgressLine progress("indexing");
    options.progress = [&progress](std::uint64_t done, std::uint64_t total) {
        progress.update(done, total);
    };

    std::vector<std::string> skipped;
    if (args.skip_bad_lines) {
        // Only a JSON Lines input has lines that stand alone; elsewhere the flag would do nothing.
        if (!any_input_in(args.inputs, options.load, {InputFormat::jsonl})) {
            throw InvalidInput("--skip-bad-lines skips the lines of JSON Lines inputs, and " +
                               inputs_are(args.inputs, "no input is") +
                               " JSON Lines; fix the reported row instead, or leave out "
                               "--skip-bad-lines");
        }
        options.load.on_bad_line = skipping_into(skipped);
    }

    const std::string db = args.db.empty() ? resolve_db("", true) : single_db(args.db);
    IndexReport report;
    try {
        report = index_files(db, args.inputs, options);
    } catch (const VersionMismatch& e) {
        if (!args.db.empty())
            throw;
        throw_with_demo_fix(e, db);
    }
    update_suggest_models(db);
    if (args.json) {
        nlohmann::json out = {{"db", db},
                              {"read", report.read},
                              {"added", report.added},
                              {"replaced", report.replaced},
                              {"other_shards", report.other_shards},
                              {"total", report.total}};
        if (args.skip_bad_lines)
            out["skipped"] = skipped;
        std::cout << out.dump(2) << '\n';
    } else {
        auto records = [](std::uint64_t n) {
            return with_commas(n) + (n == 1 ? " record" : " records");
        };
        std::cout << "indexed " << records(report.read) << " into " << db << " ("
                  << with_commas(report.added) << " new, " << with_commas(report.replaced)
                  << " replaced); it now holds " << records(report.total) << '\n';
        if (report.other_shards > 0) {
            std::cout << with_commas(report.other_shards)
                      << " of the records read belong to other shards and were left out\n";
        }
    }
    report_skipped(skipped, "indexed");
}

/// Refuses to delete when an id is unknown, naming the ids that start with what was typed.
void check_ids_exist(const std::string& db, const std::vector<std::string>& ids) {
    const Index index = Index::open(db);
    for (const auto& id : ids) {
        if (!index.find(id)) {
            throw NotFound("index '" + db + "' has no record with id '" + id +
                           "'; nothing was deleted" + unknown_id_hint(index, id));
        }
    }
}

void register_compact_command(CLI::App& app) {
    struct Args {
        std::string db;
        bool json = false;
        double wait_seconds = 0;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "compact", "Reclaim the space of replaced and deleted records (no source files needed)");
    cmd->footer("The current records are copied into a new record file, committed, and the old "
                "record files removed; 'airm stats' tells how much space it would reclaim. A "
                "failure (a full disk) leaves the index as it was.");
    add_db_option(*cmd, args->db);
    cmd->add_flag("--json", args->json, "Print the report as JSON");
    cmd->add_option("--wait", args->wait_seconds, "Wait up to SECONDS for another writer's lock")
        ->check(seconds());
    cmd->callback([args]() {
        const std::string db = resolve_db(args->db);
        IndexWriter::CompactReport report;
        {
            IndexWriter writer = IndexWriter::open(db, false, to_wait(args->wait_seconds));
            report = writer.compact();
        }
        const std::uint64_t saved =
            report.bytes_before > report.bytes_after ? report.bytes_before - report.bytes_after : 0;
        if (args->json) {
            std::cout << nlohmann::json{{"db", db},
                                        {"records", report.records},
                                        {"files_before", report.files_before},
                                        {"bytes_before", report.bytes_before},
                                        {"files_after", report.files_after},
                                        {"bytes_after", report.bytes_after},
                                        {"reclaimed_bytes", saved}}
                             .dump(2)
                      << '\n';
        } else {
            std::cout << "compacted " << db << ": " << with_commas(report.records)
                      << (report.records == 1 ? " record" : " records") << " now in "
                      << human_bytes(report.bytes_after) << " of record files (was "
                      << human_bytes(report.bytes_before) << " in "
                      << with_commas(report.files_before)
                      << (report.files_before == 1 ? " file" : " files") << "); reclaimed "
                      << human_bytes(saved) << '\n';
        }
    });
}

} // namespace

void register_index_commands(CLI::App& app) {
    auto args = std::make_shared<IndexArgs>();
    CLI::App* index =
        app.add_subcommand("index", "Add or replace records from JSON Lines, JSON or CSV files");
    add_db_option(*index, args->db);
    index
        ->add_option("inputs", args->inputs,
                     "Input files (.jsonl, .json, .csv; - for standard input)")
        ->required();
    index
        ->add_option("--format", args->format,
                     "Input format: jsonl, json, csv or mit-csv (default: from the file name)")
        ->check(one_of({"jsonl", "ndjson", "json", "csv", "mit-csv"}));
    index
        ->add_option(
            "--map", args->maps,
            "CSV column mapping KEY=COLUMN; keys: id, title, text (A+B joins columns), reasoning, "
            "source.ref, source.title, source.authors, source.year, source.url, facet:NAME, "
            "split:NAME "
            "(separator of several values in one cell); repeat it for each column")
        ->allow_extra_args(false); // one value per --map, so that it never swallows the input files
    index->add_option("--mapping", args->mapping_file, "CSV column mapping as a JSON file");
    index->add_option("--documents", args->documents,
                      "Source documents CSV joined on source.ref (ShortRef)");
    index
        ->add_option("--taxonomy", args->taxonomies,
                     "Taxonomy file, as FILE or FACET=FILE (mit-csv: bundled one)")
        ->allow_extra_args(false);
    index
        ->add_option("--delimiter", args->delimiter,
                     "Field separator of CSV inputs: ',' (default), ';', tab, or another single "
                     "character; a header that reads as one column holding ';' or a tab gets a "
                     "hint naming it")
        ->transform(CLI::Validator(
            [](std::string& value) -> std::string {
                if (value == "tab" || value == "\\t")
                    value = "\t";
                if (value.size() == 1 && value != "\"" && value != "\n" && value != "\r")
                    return {};
                return "'" + value + "' is not one character; give e.g. ';', '|' or tab";
            },
            "CHAR"));
    index->add_flag("--skip-bad-lines", args->skip_bad_lines, kSkipBadLinesHelp);
    index->add_flag("--allow-new-codes", args->allow_new_codes,
                    "Accept codes missing from the taxonomy");
    index->add_flag("--rebuild", args->rebuild, "Replace the whole index with these inputs");
    index->add_option("--shard", args->shard,
                      "Build shard K of N (K/N) in the layout xapian-tcpsrv serves: only records "
                      "whose id hashes to K");
    index->add_option("--language", args->language, "Stemming language for a new index, or none")
        ->capture_default_str();
    index->add_flag("--no-fold-diacritics", args->no_fold, "Keep diacritics (a new index only)");
    index->add_flag("--json", args->json, "Print the report as JSON");
    index->add_option("--wait", args->wait_seconds, "Wait up to SECONDS for another writer's lock")
        ->check(seconds());
    index->callback([args]() { run_index(*args); });

    register_compact_command(app);

    auto del_db = std::make_shared<std::string>();
    auto ids = std::make_shared<std::vector<std::string>>();
    auto del_json = std::make_shared<bool>(false);
    CLI::App* del = app.add_subcommand("delete", "Remove records by id");
    add_db_option(*del, *del_db);
    del->add_option("ids", *ids, "Record ids")->required();
    del->add_flag("--json", *del_json, "Print the report as JSON");
    auto del_wait = std::make_shared<double>(0);
    del->add_option("--wait", *del_wait, "Wait up to SECONDS for another writer's lock")
        ->check(seconds());
    del->callback([del_db, ids, del_json, del_wait]() {
        const std::string db = resolve_db(*del_db);
        DeleteReport report;
        try {
            check_ids_exist(db, *ids);
            report = delete_records(db, *ids, to_wait(*del_wait));
        } catch (const VersionMismatch& e) {
            if (!del_db->empty())
                throw;
            throw_with_demo_fix(e, db);
        }
        update_suggest_models(db);
        if (*del_json) {
            std::cout << nlohmann::json{{"db", db},
                                        {"removed", report.removed},
                                        {"total", report.total}}
                             .dump(2)
                      << '\n';
        } else {
            std::cout << "deleted " << with_commas(report.removed)
                      << (report.removed == 1 ? " record" : " records") << " from " << db
                      << "; it now holds " << with_commas(report.total)
                      << (report.total == 1 ? " record" : " records") << '\n';
        }
    });
}

} // namespace airm::cli
