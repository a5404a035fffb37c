/// `airm suggest`, `airm train` and `airm evaluate`: suggesting codes for new text with a model
/// kept beside the index, building that model, and cross-validating it.

#include "cli_context.hpp"
#include "commands.hpp"
#include "engine/error.hpp"
#include "indexer/load/record_reader.hpp"
#include "inspect_json.hpp"
#include "query/suggest/evaluate.hpp"
#include "query/suggest/file_format.hpp"
#include "query/suggest/folds.hpp"
#include "query/suggest/store.hpp"
#include "table_output.hpp"
#include "terminal.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <unistd.h>

namespace airm::cli {
namespace {

using nlohmann::json;

/// Options that change how a model is trained, offered by `airm evaluate` to compare methods.
/// A number above 0 (`strictly`) or at least 0, with a message that names the value.
CLI::Validator non_negative(bool strictly) {
    return CLI::Validator(
        [strictly](const std::string& value) {
            double x = 0;
            const bool ok = CLI::detail::lexical_cast(value, x) && std::isfinite(x) &&
                            (strictly ? x > 0 : x >= 0);
            return ok ? std::string()
                      : "must be a number " + std::string(strictly ? "above 0" : "of 0 or more") +
                            ", not " + value;
        },
        strictly ? "> 0" : ">= 0");
}

/// 0 (the option is off) or a count from `low` to `high`; `what` names it in the message.
CLI::Validator zero_or_range(const std::string& what, int low, int high,
                             const std::string& zero_means = "none") {
    const std::string range = std::to_string(low) + " to " + std::to_string(high);
    return CLI::Validator(
        [what, range, low, high, zero_means](const std::string& value) {
            return value == "0" || CLI::Range(low, high)(value).empty()
                       ? std::string()
                       : what + " must be 0 (" + zero_means + ") or from " + range + ", not " +
                             value;
        },
        "0 or " + range);
}
// One inner fold cannot hold anything out.
const CLI::Validator kInnerFolds = zero_or_range("inner folds", 2, 100);
// 0 picks the minimum by the number of training records.
const CLI::Validator kMinDf = zero_or_range("--min-df", 1, 1000000, "by the record count");

/// The training settings `airm evaluate` offers: those a user has a reason to tune on their own
/// data (regularisation, balancing, neighbours, field weights, model size, inner folds for time)
/// and the word vectors. Each default is the setting chosen by measurement
/// (query/suggest/README.md).
struct MethodArgs {
    TrainOptions train;
    std::string word_vectors;

    void add_to(CLI::App& command) {
        command.add_option("--svm-c", train.svm_c, "Inverse regularisation of the linear model")
            ->check(non_negative(true))
            ->capture_default_str();
        command
            .add_option("--balance", train.balance_power,
                        "Class balancing power, 0 (off) to 1 (full)")
            ->check(number_in(0.0, 1.0))
            ->capture_default_str();
        command
            .add_option("--neighbours", train.neighbours_k, "Nearest labelled records that vote")
            ->check(CLI::Range(0, 1000))
            ->capture_default_str();
        command.add_option("--title-weight", train.features.title_weight, "Weight of title words")
            ->check(non_negative(false))
            ->capture_default_str();
        command
            .add_option("--source-weight", train.features.source_weight,
                        "Weight of the source feature (0: unused)")
            ->check(non_negative(false))
            ->capture_default_str();
        command
            .add_option(
                "--min-df", train.features.min_df,
                "Drop features in fewer training records (0: 1 below 2,000 records, else 2)")
            ->check(kMinDf)
            ->capture_default_str();
        command
            .add_option("--inner-folds", train.inner_folds,
                        "Inner folds fitting mixing and calibration (0: none)")
            ->check(kInnerFolds)
            ->capture_default_str();
        command.add_option("--word-vectors", word_vectors,
                           "Pretrained word vectors (GloVe text format): a word-vector member "
                           "joins the ensemble");
    }
    TrainOptions options() const {
        TrainOptions o = train;
        if (!word_vectors.empty())
            o.word_vectors =
                std::make_shared<const WordVectors>(WordVectors::load_text(word_vectors));
        return o;
    }
};

/// "4G", "800M", "512K" or a number of bytes -> bytes; `option` names it in the message.
std::uint64_t parse_memory(const std::string& value, const std::string& option) {
    std::size_t used = 0;
    double number = 0;
    try {
        number = std::stod(value, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    std::string unit = value.substr(used);
    if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b'))
        unit.pop_back(); // "4GB" reads as "4G"
    double scale = 0;
    if (unit.empty())
        scale = 1;
    else if (unit == "K" || unit == "k")
        scale = 1024.0;
    else if (unit == "M" || unit == "m")
        scale = 1024.0 * 1024.0;
    else if (unit == "G" || unit == "g")
        scale = 1024.0 * 1024.0 * 1024.0;
    if (used == 0 || scale == 0 || !(number > 0)) {
        throw InvalidInput(option + " '" + value +
                           "' is not an amount of memory; give e.g. 4G, 800M or a number of bytes");
    }
    return static_cast<std::uint64_t>(number * scale);
}

/// The default memory bound of a training: three quarters of the machine's memory, so that a
/// training the machine cannot hold is refused instead of killed.
std::uint64_t default_memory_limit() {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0)
        return 4ULL << 30U;
    return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) / 4 * 3;
}

/// Training `airm suggest` may do by itself when a model is missing or out of date: at most this
/// many expected seconds (10: a pause a user waits out; about 1,600 benchmark records, and the
/// MIT export's 831 records estimate 6 s). AIRM_AUTO_TRAIN_SECONDS overrides it (documented for
/// tests and scripts).
double auto_train_seconds() {
    if (const char* env = std::getenv("AIRM_AUTO_TRAIN_SECONDS"); env != nullptr && *env) {
        char* end = nullptr;
        const double v = std::strtod(env, &end);
        if (end != env && *end == '\0' && v >= 0)
            return v;
    }
    return 10.0;
}

/// "about 40 s", "about 3 min".
std::string about(double seconds) {
    std::ostringstream out;
    if (seconds < 90)
        out << "about " << std::max(1L, std::lround(seconds)) << " s";
    else
        out << "about " << std::lround(seconds / 60) << " min";
    return out.str();
}

/// The expected cost of training the model of `facet` on the whole index (`evaluating`: one
/// model per fold from records kept throughout).
TrainingEstimate estimate_for(const Index& index, const std::string& facet,
                              bool evaluating = false) {
    return estimate_training(index.record_count(), index.facet_counts(facet).size(), evaluating);
}

/// Refuses, before it starts, a training (or with `evaluating`, a cross-validation) whose
/// expected memory exceeds `limit`.
void check_memory(const Index& index, const std::string& facet, std::uint64_t limit,
                  bool evaluating) {
    const TrainingEstimate e = estimate_for(index, facet, evaluating);
    if (e.bytes <= limit)
        return;
    throw InvalidInput(std::string(evaluating ? "evaluating" : "training") + " the " + facet +
                       " model of index '" + index.paths().front() + "' (" +
                       with_commas(index.record_count()) + " records) needs about " +
                       human_bytes(e.bytes) + ", more than the memory bound of " +
                       human_bytes(limit) + "; pass a larger --max-memory (e.g. --max-memory " +
                       std::to_string((e.bytes >> 30U) + 1) +
                       "G) if the machine has it free, or train on fewer records");
}

std::string read_stdin() {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
}

/// Opens the model of `facet`. A model that is missing, out of date because the index changed since
/// it was trained, or saved in another format version, is (re)trained first and saved when that is
/// quick (auto_train_seconds), and stderr says so. A model is derived from the index's records, so
/// retraining loses nothing. Longer training is never started silently: an out-of-date model is
/// used as it is, with a notice naming `airm train` and its expected time; without a usable model
/// this throws NotFound saying the same.
Suggester load_or_train(const Index& index, const std::string& facet,
                        std::vector<std::string>& notices) {
    std::string reason;
    bool existed = true;
    std::shared_ptr<const WordVectors> old_vectors;
    std::optional<Suggester> stale;
    try {
        Suggester suggester = open_suggester(index, facet);
        if (!model_is_stale(index, suggester.model()))
            return suggester;
        reason = "was out of date";
        old_vectors = suggester.model().word_vectors;
        stale.emplace(std::move(suggester));
    } catch (const NotFound&) {
        reason = "did not exist yet";
        existed = false;
    } catch (const VersionMismatch&) {
        reason = "was saved in another format version";
        try {
            old_vectors =
                saved_word_vectors(index, facet); // a version 4 model's vectors carry over
        } catch (const IndexError& e) {
            std::cerr << "airm: warning: " << e.what()
                      << "; retraining without the word vectors it may have held\n";
        }
    }
    const TrainingEstimate estimate = estimate_for(index, facet);
    if (estimate.seconds > auto_train_seconds()) {
        const std::string fix = "'airm train --db " + index.paths().front() + " --field " + facet +
                                "' (" + with_commas(index.record_count()) + " records, " +
                                about(estimate.seconds) + ")";
        if (!stale) {
            throw NotFound("the " + facet + " model of index '" + index.paths().front() + "' " +
                           reason + ", and training it is too long to start unasked; run " + fix +
                           ", then suggest again");
        }
        notices.push_back("the " + facet +
                          " model is out of date (the index changed since it was " + "trained on " +
                          with_commas(stale->model().trained_records) +
                          " labelled records); suggesting from it as it is: run " + fix +
                          " to bring it up to date");
        std::cerr << "airm: notice: " << notices.back() << '\n';
        return std::move(*stale);
    }
    const auto start = std::chrono::steady_clock::now();
    TrainOptions options;
    options.word_vectors = old_vectors; // a model keeps the word vectors it was trained with
    SuggestModel model = train_for_index(index, facet, options);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    std::ostringstream seconds;
    seconds << std::fixed << std::setprecision(1) << took.count();
    std::cerr << "airm: the " << facet << " model " << reason << "; "
              << (existed ? "retrained" : "trained") << " on " << with_commas(model.trained_records)
              << " labelled records in " << seconds.str() << " s";
    try {
        save_for_index(model, index);
        std::cerr << " (saved in " << model_path(index.paths().front(), facet) << ")\n";
    } catch (const IndexError& e) {
        // A read-only index folder: suggest from the fresh model all the same.
        std::cerr << "\nairm: warning: could not save it (" << e.what() << ")\n";
    }
    return Suggester(std::move(model));
}

std::string percent(double v) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(2) << v;
    return out.str();
}

std::string fixed3(double v) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(3) << v;
    return out.str();
}

void print_result(const SuggestResult& result, bool explain) {
    if (result.suggestions.empty()) {
        std::cout << dim("no code clears the threshold") << '\n';
    }
    for (const Suggestion& s : result.suggestions) {
        // A flat facet's values name themselves: print the name only when it says more.
        const bool named = !s.name.empty() && s.name != s.code;
        std::cout << percent(s.confidence) << "  " << bold(s.code) << (named ? " " + s.name : "")
                  << '\n';
        if (!explain)
            continue;
        for (const auto& r : s.records) {
            std::cout << "      " << dim("like ") << r.id << ' ' << r.title << ' '
                      << dim("(" + percent(r.similarity) + ")") << '\n';
        }
        if (!s.words.empty()) {
            std::cout << "      " << dim("words: ");
            for (std::size_t i = 0; i < s.words.size(); ++i) {
                std::cout << (i ? ", " : "") << s.words[i].word;
            }
            std::cout << '\n';
        }
    }
    if (!result.categories.empty()) {
        std::cout << dim("categories: ");
        for (std::size_t i = 0; i < result.categories.size(); ++i) {
            const auto& c = result.categories[i];
            std::cout << (i ? ", " : "") << c.code << (c.name.empty() ? "" : " " + c.name) << ' '
                      << percent(c.confidence);
        }
        std::cout << '\n';
    }
}

struct SuggestArgs {
    std::string db;
    std::string text;
    std::string field = "category";
    std::size_t top = 5;
    double threshold = 0.0;
    bool explain = false;
    bool json = false;
    std::string input;
    std::string format;
    std::vector<std::string> maps;
    std::string mapping_file;
    std::string documents;
    TableArgs table;
    bool skip_bad_lines = false;
};

void run_suggest(const SuggestArgs& args) {
    check_fields_need_table(args.table, "suggest");
    const std::optional<TableFormat> table = args.table.table();
    const std::vector<std::string> columns =
        table ? suggestion_columns(args.table, !args.input.empty()) : std::vector<std::string>{};
    if (!(args.threshold >= 0.0 && args.threshold <= 1.0)) {
        char shown[32];
        std::snprintf(shown, sizeof shown, "%g", args.threshold);
        throw InvalidInput(std::string("--threshold ") + shown +
                           " is not a confidence; give a value from 0 to 1");
    }
    if (args.top == 0) {
        throw InvalidInput("--top 0 asks for no suggestions; give 1 or more");
    }
    if (args.input.empty() && args.text.empty()) {
        throw InvalidInput("nothing to suggest for; give the text as an argument, '-' to read it "
                           "from standard input, "
                           "or --input FILE for a batch");
    }
    if (!args.input.empty() && !args.text.empty()) {
        throw InvalidInput("give either a text or --input FILE, not both");
    }
    const std::string text = args.text == "-" ? read_stdin() : args.text;
    if (args.input.empty() && text.find_first_not_of(" \t\r\n\f\v") == std::string::npos) {
        throw InvalidInput(args.text == "-"
                               ? "standard input holds no text to suggest codes for; pipe the "
                                 "text in, or give it as an argument"
                               : "the text to suggest codes for is blank; give the mitigation's "
                                 "words as the argument");
    }
    const Index index = open_index(args.db);
    std::vector<std::string> notices;
    const Suggester suggester = load_or_train(index, args.field, notices);
    SuggestOptions options;
    options.top = args.top;
    options.threshold = args.threshold;
    options.explain = args.explain;

    if (args.input.empty()) {
        const SuggestResult result = suggester.suggest(text, options);
        if (table) {
            std::cout << table_line(columns, *table)
                      << suggestion_rows(result, "", columns, *table);
        } else if (args.json || args.table.format == "json") {
            json out = to_json(result);
            out["field"] = args.field;
            if (!notices.empty())
                out["notices"] = notices;
            std::cout << out.dump(2) << '\n';
        } else {
            print_result(result, args.explain);
        }
        return;
    }
    // Batch: one JSON line per input record, keeping its id, in input order.
    LoadOptions load;
    if (!args.format.empty())
        load.format = parse_input_format(args.format);
    if (!args.mapping_file.empty()) {
        std::ifstream in(args.mapping_file, std::ios::binary);
        if (!in)
            throw NotFound("mapping file '" + args.mapping_file +
                           "' does not exist or cannot be read; check the path");
        std::stringstream ss;
        ss << in.rdbuf();
        load.mapping = ColumnMapping::from_json(ss.str(), args.mapping_file);
    }
    for (const auto& m : args.maps)
        load.mapping.assign(m);
    load.documents_csv = args.documents;
    std::vector<std::string> skipped;
    if (args.skip_bad_lines)
        load.on_bad_line = skipping_into(skipped);
    auto reader = open_records(args.input, load);
    std::uint64_t coded = 0;
    LoadedRecord loaded;
    if (table)
        std::cout << table_line(columns, *table);
    while (reader->next(loaded)) {
        ++coded;
        SuggestResult result;
        try {
            result = suggester.suggest(loaded.record, options);
        } catch (const InvalidInput& e) {
            throw InvalidInput(loaded.origin + ": " + e.what());
        }
        if (table) {
            std::cout << suggestion_rows(result, loaded.record.id, columns, *table);
            continue;
        }
        json out = to_json(result);
        out["id"] = loaded.record.id;
        if (!notices.empty())
            out["notices"] = notices;
        std::cout << out.dump() << '\n';
    }
    if (!skipped.empty() && coded == 0) {
        throw InvalidInput("every line of " + args.input + " was skipped as bad (" +
                           std::to_string(skipped.size()) +
                           "), so nothing was coded; fix the lines reported above");
    }
    report_skipped(skipped, "coded");
}

void print_report(const EvaluationReport& r) {
    std::cout << bold("cross-validation of '" + r.facet + "'") << ": " << r.n
              << " labelled records, " << r.folds << " folds, " << r.labels << " codes"
              << (r.multi_label ? ", multi-label" : "") << "\n\n";
    auto row = [](const std::string& name, double v) {
        std::cout << "  " << std::left << std::setw(22) << name << fixed3(v) << '\n';
    };
    row("top-1 (P@1)", r.top1);
    row("top-3 hit rate", r.top3);
    row("R@3", r.recall_at_3);
    row("F1@3", r.f1_at_3);
    row("NDCG@5", r.ndcg_at_5);
    if (r.hierarchical) {
        row("category accuracy", r.category_accuracy);
        row("category (derived)", r.category_derived);
    }
    row("macro-F1 (top-1)", r.macro_f1);
    row("calibration error", r.ece);
    std::cout << '\n'
              << bold("per code") << "  (support, suggested first, right, precision, recall, F1)\n";
    for (const auto& c : r.codes) {
        std::cout << "  " << std::left << std::setw(8) << c.code << fit(c.name, 38) << std::right
                  << std::setw(5) << c.support << std::setw(5) << c.predicted << std::setw(5)
                  << c.correct << "  " << percent(c.precision) << "  " << percent(c.recall) << "  "
                  << percent(c.f1) << '\n';
    }
    std::cout << '\n' << bold("most confused") << " (true -> suggested first: count)\n";
    for (const auto& c : r.confusions) {
        std::cout << "  " << c.gold << " -> " << c.predicted << ": " << c.count << '\n';
    }
    std::cout << '\n'
              << bold("reliability")
              << " (confidence bin: suggestions, mean confidence, share right)\n";
    for (const auto& b : r.calibration) {
        if (b.count == 0)
            continue;
        std::cout << "  " << percent(b.lower) << "-" << percent(b.upper) << std::right
                  << std::setw(7) << b.count << "  " << percent(b.mean_confidence) << "  "
                  << percent(b.accuracy) << '\n';
    }
}

} // namespace

void update_suggest_models(const std::string& db) {
    // Models are retrained lazily: each records the index state it was trained on, so a model
    // that this change made out of date is retrained by the next `airm suggest` (or `airm
    // train`). Here only a directory listing, so that indexing never waits on training.
    const std::vector<std::string> facets = model_facets(db);
    if (facets.empty() || !stderr_is_terminal())
        return;
    std::string list;
    for (const auto& f : facets)
        list += (list.empty() ? "" : ", ") + f;
    std::cerr << "the suggestion model(s) of " << list
              << " will be retrained on next use ('airm train --db " << db << "' does it now)\n";
}

void register_suggest_commands(CLI::App& app) {
    auto s = std::make_shared<SuggestArgs>();
    CLI::App* suggest = app.add_subcommand(
        "suggest", "Suggest taxonomy codes for new text, with calibrated confidences");
    add_db_option(*suggest, s->db);
    suggest->add_option("text", s->text, "The text to code ('-' reads standard input)");
    suggest
        ->add_option("--field", s->field,
                     "Facet to suggest values of (category, lifecycle, actor, ...)")
        ->capture_default_str();
    suggest->add_option("--top", s->top, "At most this many suggestions")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    suggest
        ->add_option("--threshold", s->threshold,
                     "Only suggestions at least this confident (0 to 1); several may clear it")
        ->check(number_in(0.0, 1.0));
    suggest->add_flag("--explain", s->explain,
                      "Show the labelled records and input words behind each suggestion");
    suggest->add_flag("--json", s->json, "Print JSON");
    CLI::Option* input = suggest->add_option(
        "--input", s->input,
        "Batch: records to code (.jsonl, .json, .csv), written as JSON Lines with their ids");
    suggest->add_option("--format", s->format, "Batch input format: jsonl, json, csv or mit-csv");
    suggest
        ->add_option("--map", s->maps,
                     "Batch CSV column mapping KEY=COLUMN, as for 'airm index'")
        ->allow_extra_args(false); // one value per --map, so that it never swallows the text
    suggest->add_option("--mapping", s->mapping_file, "Batch CSV column mapping as a JSON file");
    suggest->add_option("--documents", s->documents, "Source documents CSV joined on source.ref");
    suggest->add_flag("--skip-bad-lines", s->skip_bad_lines, kSkipBadLinesHelp)->needs(input);
    add_table_options(*suggest, s->table, "--output-format",
                      "id (of a batch record), rank, code, name, confidence, category (default: "
                      "rank,code,name,confidence, after id in a batch)");
    suggest->callback([s]() { run_suggest(*s); });

    auto t_db = std::make_shared<std::string>();
    auto t_fields = std::make_shared<std::vector<std::string>>();
    auto t_json = std::make_shared<bool>(false);
    CLI::App* train = app.add_subcommand(
        "train", "Build the suggestion model(s) from the index's labelled records");
    add_db_option(*train, *t_db);
    train
        ->add_option("--field", *t_fields,
                     "Facet(s) to model (default: those with a model and every hierarchical facet)")
        ->allow_extra_args(false);
    train->add_flag("--json", *t_json, "Print the report as JSON");
    auto t_vectors = std::make_shared<std::string>();
    auto t_no_vectors = std::make_shared<bool>(false);
    auto* vectors_opt = train->add_option(
        "--word-vectors", *t_vectors,
        "Pretrained word vectors (GloVe text format) for a word-vector member; the model keeps "
        "what it needs, and retrains keep using them");
    train->add_flag("--no-word-vectors", *t_no_vectors, "Drop the word vectors a model holds")
        ->excludes(vectors_opt);
    auto t_memory = std::make_shared<std::string>();
    train->add_option("--max-memory", *t_memory,
                      "Refuse a training expected to need more memory (e.g. 4G; default: 3/4 of "
                      "the machine's)");
    train->callback([t_db, t_fields, t_json, t_vectors, t_no_vectors, t_memory]() {
        const Index index = open_index(*t_db);
        std::vector<std::string> fields = t_fields->empty() ? facets_to_model(index) : *t_fields;
        if (fields.empty()) {
            throw InvalidInput("index '" + index.paths().front() +
                               "' has no coded facet to learn; pass --field NAME with a facet "
                               "whose records carry values");
        }
        const std::uint64_t limit =
            t_memory->empty() ? default_memory_limit() : parse_memory(*t_memory, "--max-memory");
        for (const auto& field : fields)
            check_memory(index, field, limit, /*evaluating=*/false);
        json report = json::array();
        std::shared_ptr<const WordVectors> vectors;
        if (!t_vectors->empty())
            vectors = std::make_shared<const WordVectors>(WordVectors::load_text(*t_vectors));
        for (const auto& field : fields) {
            TrainOptions options;
            if (vectors != nullptr)
                options.word_vectors = vectors;
            else if (!*t_no_vectors) {
                try {
                    options.word_vectors = saved_word_vectors(index, field);
                } catch (const IndexError& e) {
                    std::cerr << "airm: warning: " << e.what()
                              << "; retraining without the word vectors it may have held (pass "
                                 "--word-vectors FILE to train with them again)\n";
                }
            }
            // The progress line is cleared (destroyed) before the result is printed.
            const SuggestModel m = [&]() {
                ProgressLine progress("training '" + field + "'", "%");
                options.progress = [&progress](std::uint64_t done, std::uint64_t total) {
                    progress.update(done, total);
                };
                SuggestModel trained = train_and_save(index, field, options);
                options.progress = nullptr;
                return trained;
            }();
            const std::string path = model_path(index.paths().front(), field);
            if (*t_json) {
                report.push_back(train_report_json(m, field, path));
            } else {
                std::cout << "trained '" << field << "' from " << with_commas(m.trained_records)
                          << " labelled records: " << m.labels.size() << " codes, "
                          << with_commas(m.vocabulary.size()) << " features"
                          << (m.word_vectors == nullptr
                                  ? std::string()
                                  : ", " + with_commas(m.word_vectors->size()) + " word vectors")
                          << " -> " << path << '\n';
            }
        }
        if (*t_json)
            std::cout << report.dump(2) << '\n';
    });

    auto e_db = std::make_shared<std::string>();
    auto e_field = std::make_shared<std::string>("category");
    auto e_folds = std::make_shared<std::string>();
    auto e_k = std::make_shared<unsigned>(5);
    auto e_seed = std::make_shared<std::uint64_t>(1);
    auto e_json = std::make_shared<bool>(false);
    auto method = std::make_shared<MethodArgs>();
    CLI::App* evaluate_cmd =
        app.add_subcommand("evaluate", "Cross-validate suggestion on the index's labelled records");
    add_db_option(*evaluate_cmd, *e_db);
    evaluate_cmd->add_option("--field", *e_field, "Facet to evaluate")->capture_default_str();
    auto* folds_opt =
        evaluate_cmd->add_option("--folds", *e_folds, "CSV 'id,fold' giving each record's fold");
    evaluate_cmd->add_option("--k", *e_k, "Number of stratified folds")
        ->capture_default_str()
        ->excludes(folds_opt);
    evaluate_cmd->add_option("--seed", *e_seed, "Seed of the stratified folds")
        ->capture_default_str()
        ->excludes(folds_opt);
    evaluate_cmd->add_flag("--json", *e_json, "Print the report as JSON");
    method->add_to(*evaluate_cmd);
    evaluate_cmd->callback([=]() {
        const Index index = open_index(*e_db);
        // Each fold trains on fewer records than the whole index: the whole index's bound holds.
        check_memory(index, *e_field, default_memory_limit(), /*evaluating=*/true);
        EvaluateOptions options;
        options.facet = *e_field;
        if (!e_folds->empty())
            options.folds = read_folds(*e_folds);
        options.k = *e_k;
        options.seed = *e_seed;
        options.train = method->options();
        // The progress line is cleared (destroyed) before the report is printed.
        const EvaluationReport report = [&]() {
            ProgressLine progress("evaluating '" + *e_field + "'", "%");
            options.train.progress = [&progress](std::uint64_t done, std::uint64_t total) {
                progress.update(done, total);
            };
            EvaluationReport evaluated = evaluate(index, options);
            options.train.progress = nullptr;
            return evaluated;
        }();
        if (*e_json) {
            std::cout << to_json(report).dump(2) << '\n';
        } else {
            print_report(report);
        }
    });
}

} // namespace airm::cli
