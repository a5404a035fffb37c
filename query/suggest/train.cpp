#include "query/suggest/train.hpp"

#include "engine/codes.hpp"
#include "engine/error.hpp"
#include "query/suggest/calibration/calibration.hpp"
#include "query/suggest/scorers/embedding.hpp"
#include "query/suggest/scorers/linear.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <set>

namespace airm {
namespace {

/// Deterministic pseudo-random numbers (splitmix64), identical on every platform.
struct SplitMix {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    template <typename T> void shuffle(std::vector<T>& items) {
        for (std::size_t i = items.size(); i > 1; --i) {
            std::swap(items[i - 1], items[next() % i]);
        }
    }
};

std::string first_segment(std::string_view code) {
    return std::string(code.substr(0, code.find('.')));
}

/// Training's progress in units of (records x binary problems solved), reported as it advances.
struct Progress {
    const std::function<void(std::uint64_t, std::uint64_t)>* report = nullptr;
    std::uint64_t done = 0;
    std::uint64_t total = 0;
    void advance(std::uint64_t units) {
        done = std::min(done + units, total);
        if (report != nullptr && *report)
            (*report)(done, total);
    }
};

/// Fits vocabulary, linear model, prior and examples on `subset`, for the given label list.
/// `release`, when given, is `set` itself, whose records are not needed afterwards: each record's
/// features are freed as soon as its row is built, so the features and the rows of all records
/// are never held at once, and the records themselves once all rows are built (the same model, in
/// less memory).
SuggestModel fit_components(const TrainingSet& set, const std::vector<std::uint32_t>& subset,
                            const std::vector<std::string>& labels, const TrainOptions& options,
                            Progress& progress, TrainingSet* release = nullptr) {
    std::map<std::string, std::uint32_t, std::less<>> label_index;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        label_index.emplace(labels[i], static_cast<std::uint32_t>(i));
    }
    std::vector<const TrainingRecord*> texts; // label texts of the candidate labels only
    for (const TrainingRecord& t : set.label_texts) {
        if (!t.labels.empty() && label_index.count(t.labels.front())) {
            texts.push_back(&t);
        }
    }
    std::vector<const TermCounts*> bags;
    for (std::uint32_t r : subset) {
        bags.push_back(&set.records[r].terms);
    }
    for (const TrainingRecord* t : texts) {
        bags.push_back(&t->terms);
    }

    SuggestModel model;
    model.facet = set.facet;
    model.hierarchical = set.hierarchical;
    model.analyzer = set.analyzer;
    model.features = set.features;
    model.labels = labels;
    if (set.hierarchical) {
        std::map<std::string, std::uint32_t> group_index;
        for (const auto& label : labels) {
            const std::string group = first_segment(label);
            auto [it, inserted] =
                group_index.emplace(group, static_cast<std::uint32_t>(model.group_codes.size()));
            if (inserted) {
                model.group_codes.push_back(group);
                auto name = set.names.find(group);
                model.group_names.push_back(name == set.names.end() ? std::string() : name->second);
            }
            model.label_group.push_back(it->second);
        }
        for (const TrainingRecord& t : set.group_texts) {
            if (!t.labels.empty() && group_index.count(t.labels.front()))
                bags.push_back(&t.terms);
        }
    }
    const std::uint32_t min_df = options.features.min_df != 0 ? options.features.min_df
                                 : subset.size() < 2000       ? 1
                                                              : 2;
    std::vector<std::int32_t> index_of; // dictionary id -> vocabulary index
    model.vocabulary = Vocabulary::fit(bags, set.dictionary, min_df, index_of);
    bags = std::vector<const TermCounts*>(); // (`= {}` would keep the capacity)
    model.neighbours_k = options.neighbours_k;

    LinearProblem problem;
    problem.features = model.vocabulary.size();
    // Every record trains the linear models and centroids; a bounded sample is kept as examples.
    const std::vector<std::uint32_t> kept =
        stratified_sample(set.records, subset, options.max_examples, options.seed);
    model.examples.reserve(kept.size());
    problem.rows.reserve(subset.size() + texts.size() + set.group_texts.size());
    problem.labels.reserve(subset.size() + texts.size());
    std::size_t next_kept = 0;
    for (std::size_t i = 0; i < subset.size(); ++i) {
        const TrainingRecord& record = set.records[subset[i]];
        std::vector<std::uint32_t> record_labels;
        for (const auto& label : record.labels) {
            if (auto it = label_index.find(label); it != label_index.end()) {
                record_labels.push_back(it->second);
            }
        }
        problem.rows.push_back(model.vocabulary.vectorize(record.terms, index_of));
        problem.labels.push_back(record_labels);
        if (release != nullptr) // a new vector: `= {}` would keep the capacity
            release->records[subset[i]].terms = TermCounts();
        if (next_kept < kept.size() && kept[next_kept] == i) {
            ++next_kept;
            ModelExample example;
            example.id = record.id;
            example.title = record.title;
            example.labels = std::move(record_labels);
            example.vector = problem.rows.back();
            model.examples.push_back(std::move(example));
        }
    }
    if (release != nullptr && options.word_vectors == nullptr) {
        // Ids, titles and labels are in the rows and examples now; only word vectors read records.
        release->records = std::vector<TrainingRecord>();
    }
    // Centroids: the normalised sum of each label's record vectors.
    {
        // Label by label into one dense sum (records in order, as sparse sums would add them).
        std::vector<std::vector<std::uint32_t>> rows_of(labels.size());
        for (std::size_t i = 0; i < subset.size(); ++i) {
            for (std::uint32_t l : problem.labels[i])
                rows_of[l].push_back(static_cast<std::uint32_t>(i));
        }
        std::vector<double> sum(model.vocabulary.size(), 0.0);
        std::vector<char> seen(model.vocabulary.size(), 0);
        std::vector<std::uint32_t> touched;
        model.centroids.assign(labels.size(), {});
        for (std::size_t l = 0; l < labels.size(); ++l) {
            touched.clear();
            for (std::uint32_t i : rows_of[l]) {
                for (const auto& [f, v] : problem.rows[i]) {
                    if (seen[f] == 0) {
                        seen[f] = 1;
                        touched.push_back(f);
                    }
                    sum[f] += v;
                }
            }
            std::sort(touched.begin(), touched.end());
            double norm = 0;
            for (std::uint32_t f : touched)
                norm += sum[f] * sum[f];
            if (norm > 0) {
                const double scale = 1.0 / std::sqrt(norm);
                for (std::uint32_t f : touched)
                    model.centroids[l].emplace_back(f, static_cast<float>(sum[f] * scale));
            }
            for (std::uint32_t f : touched) {
                sum[f] = 0.0;
                seen[f] = 0;
            }
        }
    }
    if (options.word_vectors != nullptr) {
        std::vector<const FeatureBag*> record_bags; // their words
        for (std::uint32_t r : subset)
            record_bags.push_back(&set.records[r].bag);
        const std::vector<std::vector<std::uint32_t>> record_labels(
            problem.labels.begin(),
            problem.labels.begin() + static_cast<std::ptrdiff_t>(subset.size()));
        fit_embedding(record_bags, record_labels, options.word_vectors, options.word_vectors_kept,
                      model);
        if (kept.size() < subset.size() && model.word_vectors != nullptr) {
            // Keep the embeddings of the kept examples only (rows parallel to model.examples).
            const std::size_t d = model.word_vectors->dimensions();
            std::vector<float> rows;
            rows.reserve(kept.size() * d);
            for (std::uint32_t i : kept) {
                const auto from =
                    model.embedding_examples.begin() + static_cast<std::ptrdiff_t>(i * d);
                rows.insert(rows.end(), from, from + static_cast<std::ptrdiff_t>(d));
            }
            model.embedding_examples = std::move(rows);
        }
        model.embedding_weight = model.word_vectors != nullptr ? 1.0F : 0.0F;
        model.embedding_priors.clear();
        if (model.word_vectors != nullptr) {
            const std::size_t d = model.word_vectors->dimensions();
            model.embedding_priors.assign(labels.size() * d, 0.0F);
            for (const TrainingRecord* t : texts) {
                const std::vector<float> e = model.embed(t->bag);
                if (e.size() != d)
                    continue;
                std::copy(e.begin(), e.end(),
                          model.embedding_priors.begin() +
                              static_cast<std::ptrdiff_t>(label_index.at(t->labels.front()) * d));
            }
            model.embedding_prior_weight = 1.0F;
            model.embedding_neighbour_weight = 1.0F;
        }
    }
    model.prior_vectors.assign(labels.size(), {});
    for (const TrainingRecord* t : texts) {
        const std::uint32_t label = label_index.at(t->labels.front());
        model.prior_vectors[label] = model.vocabulary.vectorize(t->terms, index_of);
        if (options.taxonomy_examples) {
            problem.rows.push_back(model.prior_vectors[label]);
            problem.labels.push_back({label});
        }
    }
    LinearSvmOptions svm;
    svm.c = options.svm_c;
    svm.balance_power = options.balance_power;
    svm.seed = options.seed;
    svm.label_done = [&progress, &subset]() { progress.advance(subset.size()); };
    LinearWeights w = train_one_vs_rest(problem, labels.size(), svm);
    model.weights = std::move(w.weights);
    model.bias = std::move(w.bias);
    if (set.hierarchical && options.group_model) {
        // The same rows labelled by first code segment: a coarser, better-fed view of every code.
        LinearProblem groups;
        groups.features = problem.features;
        groups.rows = std::move(problem.rows); // the code model is trained: no copy needed
        for (const auto& row_labels : problem.labels) {
            std::vector<std::uint32_t> g;
            for (std::uint32_t l : row_labels) {
                if (std::find(g.begin(), g.end(), model.label_group[l]) == g.end())
                    g.push_back(model.label_group[l]);
            }
            groups.labels.push_back(std::move(g));
        }
        for (const TrainingRecord& t : set.group_texts) {
            auto it =
                std::find(model.group_codes.begin(), model.group_codes.end(), t.labels.front());
            if (it == model.group_codes.end())
                continue;
            groups.rows.push_back(model.vocabulary.vectorize(t.terms, index_of));
            groups.labels.push_back({static_cast<std::uint32_t>(it - model.group_codes.begin())});
        }
        LinearWeights gw = train_one_vs_rest(groups, model.group_codes.size(), svm);
        model.group_weights = std::move(gw.weights);
        model.group_bias = std::move(gw.bias);
    }
    model.finalize();
    return model;
}

/// Moves a record's features into the dictionary: the record keeps their ids, and its bag only
/// its words.
void take_terms(TrainingRecord& t, TermDictionary& dictionary) {
    t.terms = intern_features(t.bag, dictionary);
    // Assigned from new vectors: `= {}` clears but keeps the capacity, which at 100,000 records
    // held about a gigabyte.
    t.bag.features = std::vector<RawFeature>();
    t.bag.surfaces = std::vector<std::string>();
}

} // namespace

Record taxonomy_record(const TaxonomyNode& node, const Taxonomy& taxonomy) {
    Record r;
    r.id = "taxonomy:" + node.code;
    r.title = node.name;
    r.text = node.description;
    for (const auto& example : node.examples) {
        r.text += (r.text.empty() ? "" : "\n") + example;
    }
    if (const TaxonomyNode* parent = taxonomy.find(node.parent);
        parent != nullptr && !parent->name.empty()) {
        r.text += (r.text.empty() ? "" : "\n") + parent->name;
    }
    return r;
}

TrainingSet collect_training_set(const Index& index, const std::string& facet,
                                 const FeatureOptions& features, bool with_words) {
    const IndexMetadata& meta = index.metadata();
    const FacetInfo* info = meta.facet(facet);
    if (info == nullptr) {
        std::string list;
        for (const auto& [name, f] : meta.facets) {
            list += (list.empty() ? "" : ", ") + name;
        }
        throw InvalidInput("index '" + index.paths().front() + "' has no facet '" + facet +
                           "'; pass --field with one of: " +
                           (list.empty() ? "(none: index coded records)" : list));
    }
    TrainingSet set;
    set.facet = facet;
    set.hierarchical = info->hierarchical;
    set.analyzer = meta.analyzer;
    set.features = features;
    const Analyzer analyzer = index.make_analyzer();
    std::set<std::string> seen;
    index.for_each_record([&](const Record& record) {
        auto it = record.facets.find(facet);
        if (it == record.facets.end() || it->second.empty()) {
            return;
        }
        TrainingRecord t;
        t.id = record.id;
        t.title = record.title;
        t.labels = it->second;
        t.bag = extract_features(record, analyzer, features, false, with_words);
        take_terms(t, set.dictionary);
        seen.insert(t.labels.begin(), t.labels.end());
        set.records.push_back(std::move(t));
    });

    const Taxonomy* taxonomy = set.hierarchical ? meta.taxonomy(facet) : nullptr;
    if (taxonomy != nullptr) {
        for (const auto& code : taxonomy->codes()) {
            const TaxonomyNode* node = taxonomy->find(code);
            set.names[code] = node->name;
            const bool leaf = taxonomy->children(code).empty();
            if (!node->from_data && leaf) {
                set.taxonomy_labels.push_back(code);
            }
            if (!node->from_data && node->parent.empty() && !leaf) {
                TrainingRecord t;
                t.id = "taxonomy:" + code;
                t.labels = {code};
                t.bag = extract_features(taxonomy_record(*node, *taxonomy), analyzer, features,
                                         false, with_words);
                take_terms(t, set.dictionary);
                set.group_texts.push_back(std::move(t));
            }
            // Texts of curated nodes only: a name taken from the records is no extra knowledge.
            if (!node->from_data && (leaf || seen.count(code))) {
                TrainingRecord t;
                t.id = "taxonomy:" + code;
                t.labels = {code};
                t.bag = extract_features(taxonomy_record(*node, *taxonomy), analyzer, features,
                                         false, with_words);
                take_terms(t, set.dictionary);
                set.label_texts.push_back(std::move(t));
            }
        }
    }
    for (const auto& label : seen) {
        if (set.hierarchical) {
            if (!set.names.count(label))
                set.names[label] = "";
            continue;
        }
        // A flat facet's values name themselves: their words are the label text.
        set.names[label] = label;
        TrainingRecord t;
        t.id = "label:" + label;
        t.labels = {label};
        Record r;
        r.title = label;
        t.bag = extract_features(r, analyzer, features, false, with_words);
        take_terms(t, set.dictionary);
        set.label_texts.push_back(std::move(t));
    }
    return set;
}

std::vector<std::uint32_t> stratified_sample(const std::vector<TrainingRecord>& records,
                                             const std::vector<std::uint32_t>& subset,
                                             std::size_t limit, std::uint64_t seed) {
    std::vector<std::uint32_t> out;
    if (limit == 0 || subset.size() <= limit) {
        out.resize(subset.size());
        std::iota(out.begin(), out.end(), 0U);
        return out;
    }
    // Label by label in a shuffled order, then every (n / limit)-th: each label keeps its share.
    std::map<std::string, std::vector<std::uint32_t>> by_label;
    for (std::uint32_t i = 0; i < subset.size(); ++i) {
        const auto& labels = records[subset[i]].labels;
        by_label[labels.empty() ? std::string() : labels.front()].push_back(i);
    }
    SplitMix rng{seed};
    const std::size_t n = subset.size();
    std::size_t position = 0;
    for (auto& [label, positions] : by_label) {
        rng.shuffle(positions);
        for (std::uint32_t p : positions) {
            if ((position + 1) * limit / n > position * limit / n)
                out.push_back(p);
            ++position;
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::uint32_t> stratified_folds(const std::vector<TrainingRecord>& records,
                                            const std::vector<std::uint32_t>& subset, unsigned k,
                                            std::uint64_t seed) {
    std::map<std::string, std::vector<std::uint32_t>> by_label; // label -> positions in subset
    for (std::uint32_t i = 0; i < subset.size(); ++i) {
        const auto& labels = records[subset[i]].labels;
        by_label[labels.empty() ? std::string() : labels.front()].push_back(i);
    }
    SplitMix rng{seed};
    std::vector<std::uint32_t> fold(subset.size(), 0);
    std::uint32_t next = 0;
    for (auto& [label, positions] : by_label) {
        rng.shuffle(positions);
        for (std::uint32_t p : positions) {
            fold[p] = next++ % k;
        }
    }
    return fold;
}

namespace {

/// train_model; `release` as in fit_components, for the final fit only.
SuggestModel train_records(const TrainingSet& set, const std::vector<std::uint32_t>& subset_in,
                           const TrainOptions& options, TrainingSet* release) {
    std::vector<std::uint32_t> subset = subset_in;
    if (subset.empty()) {
        for (std::uint32_t i = 0; i < set.records.size(); ++i)
            subset.push_back(i);
    }
    if (subset.empty()) {
        throw InvalidInput("facet '" + set.facet +
                           "' has no labelled records to learn from; index records coded in '" +
                           set.facet +
                           "' first, or pass --field with a facet whose records carry values");
    }
    std::set<std::string> label_set(set.taxonomy_labels.begin(), set.taxonomy_labels.end());
    bool multi_label = false;
    for (std::uint32_t r : subset) {
        label_set.insert(set.records[r].labels.begin(), set.records[r].labels.end());
        multi_label = multi_label || set.records[r].labels.size() > 1;
    }
    std::vector<std::string> labels(label_set.begin(), label_set.end());
    if (set.hierarchical) {
        std::sort(labels.begin(), labels.end(),
                  [](const std::string& a, const std::string& b) { return code_less(a, b); });
    }

    // Progress: every fit solves one binary problem per label (and per group) over its records.
    std::size_t problems = labels.size();
    if (set.hierarchical && options.group_model) {
        std::set<std::string> groups;
        for (const auto& label : labels)
            groups.insert(first_segment(label));
        problems += groups.size();
    }
    Progress progress;
    progress.report = &options.progress;
    progress.total = static_cast<std::uint64_t>(subset.size()) * problems;

    // Out-of-fold component scores of the subset, for mixing weights and calibration.
    std::vector<ComponentScores> held_out;
    std::vector<std::vector<std::uint32_t>> gold;
    const unsigned k = options.inner_folds;
    if (k >= 2 && subset.size() >= 4 * static_cast<std::size_t>(k)) {
        std::vector<std::uint32_t> sample; // the inner cross-validation's records
        for (std::uint32_t p :
             stratified_sample(set.records, subset, options.max_inner_records, options.seed))
            sample.push_back(subset[p]);
        const std::vector<std::uint32_t> fold =
            stratified_folds(set.records, sample, k, options.seed);
        // Each inner fit trains on (k - 1) / k of the sample.
        progress.total += static_cast<std::uint64_t>(sample.size()) * (k - 1) * problems;
        std::map<std::string, std::uint32_t> label_index;
        for (std::uint32_t i = 0; i < labels.size(); ++i)
            label_index[labels[i]] = i;
        for (unsigned f = 0; f < k; ++f) {
            std::vector<std::uint32_t> inner;
            for (std::size_t i = 0; i < sample.size(); ++i) {
                if (fold[i] != f)
                    inner.push_back(sample[i]);
            }
            const SuggestModel m = fit_components(set, inner, labels, options, progress);
            for (std::size_t i = 0; i < sample.size(); ++i) {
                if (fold[i] != f)
                    continue;
                const TrainingRecord& record = set.records[sample[i]];
                ComponentScores scores =
                    m.score(m.vocabulary.vectorize(record.terms, set.dictionary), &record.bag);
                // The mix needs only the per-label scores: dropping the neighbour list (which
                // keeps the capacity of every example touched) keeps memory linear in records.
                scores.neighbours = std::vector<std::pair<std::uint32_t, float>>();
                held_out.push_back(std::move(scores));
                std::vector<std::uint32_t> g;
                for (const auto& label : record.labels)
                    g.push_back(label_index.at(label));
                gold.push_back(std::move(g));
            }
        }
    }

    SuggestModel model = fit_components(set, subset, labels, options, progress, release);
    model.multi_label = multi_label;
    model.trained_records = subset.size();
    if (held_out.empty()) {
        // Without an inner cross-validation the word-vector members keep no weight.
        model.embedding_weight = 0.0F;
        model.embedding_prior_weight = 0.0F;
        model.embedding_neighbour_weight = 0.0F;
    } else {
        const Mixture mixture = fit_mixture(held_out, gold, multi_label);
        model.neighbour_weight = mixture.neighbour_weight;
        model.prior_weight = mixture.prior_weight;
        model.group_weight = mixture.group_weight;
        model.centroid_weight = mixture.centroid_weight;
        model.embedding_weight = mixture.embedding_weight;
        model.embedding_prior_weight = mixture.embedding_prior_weight;
        model.embedding_neighbour_weight = mixture.embedding_neighbour_weight;
        model.temperature = mixture.temperature;
        model.platt_a = mixture.platt_a;
        model.platt_b = mixture.platt_b;
    }
    for (const auto& label : labels) {
        auto it = set.names.find(label);
        model.label_names.push_back(it == set.names.end() ? std::string() : it->second);
    }
    return model;
}

} // namespace

SuggestModel train_model(const TrainingSet& set, const std::vector<std::uint32_t>& subset,
                         const TrainOptions& options) {
    return train_records(set, subset, options, nullptr);
}

SuggestModel train_model(TrainingSet&& set, const TrainOptions& options) {
    TrainingSet& consumed = set;
    return train_records(consumed, {}, options, &consumed);
}

namespace {
// Time fitted to two `tools/bench/run --parts train` runs of the benchmark corpus (23 codes, 2-core
// machine, query/suggest/README.md "Training at scale"): 10,000 records 62.1 s, 100,000 records
// 248.6 s. Memory fitted to the peak RSS of `airm train` on the same corpus once each record's
// features are freed as its row is built (same README): 100,000 records 457,100 KiB, 200,000
// records 718,416 KiB. With the records kept (evaluation), the pair fitted together before they
// were freed (7ba9409: 10,000 records 213 MB, 100,000 records 635 MB): each coefficient of a pair
// absorbs part of the other's share, so pairs are not mixed. The inner cross-validation's share
// stops growing at its sample bound.
constexpr double kReferenceCodes = 23;
constexpr double kSecondsPerRecord = 2.08e-3;       // the final fit, per record (23 codes)
constexpr double kSecondsPerInnerRecord = 4.12e-3;  // the inner folds, per sampled record
constexpr double kBaseBytes = 64.0 * 1024 * 1024;   // the process, the index, the analyzer
constexpr double kBytesPerRecord = 2.68e3;          // its interned features, then its training row
constexpr double kBytesPerInnerRecord = 13.3e3;     // the inner folds' models and scores
constexpr double kBytesPerKeptRecord = 4.92e3;      // features and row at once (records kept)
constexpr double kBytesPerKeptInnerRecord = 10.7e3; // the inner folds, fitted with the line above
} // namespace

TrainingEstimate estimate_training(std::uint64_t records, std::size_t labels, bool records_kept) {
    const TrainOptions defaults;
    const double n = static_cast<double>(records);
    const double inner = defaults.inner_folds < 2
                             ? 0.0
                             : static_cast<double>(defaults.max_inner_records == 0
                                                       ? records
                                                       : std::min<std::uint64_t>(
                                                             records, defaults.max_inner_records));
    // The binary problems grow with the codes; memory barely does (the weights are small beside
    // the records' features at these sizes).
    const double codes = static_cast<double>(std::max<std::size_t>(labels, 1)) / kReferenceCodes;
    TrainingEstimate estimate;
    estimate.seconds = (kSecondsPerRecord * n + kSecondsPerInnerRecord * inner) * codes;
    estimate.bytes = static_cast<std::uint64_t>(
        kBaseBytes + (records_kept ? kBytesPerKeptRecord : kBytesPerRecord) * n +
        (records_kept ? kBytesPerKeptInnerRecord : kBytesPerInnerRecord) * inner);
    return estimate;
}

} // namespace airm
