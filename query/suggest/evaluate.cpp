#include "query/suggest/evaluate.hpp"

#include "engine/codes.hpp"
#include "engine/error.hpp"
#include "query/suggest/suggest.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <string_view>

namespace airm {
namespace {

std::string first_segment(std::string_view code) {
    return std::string(code.substr(0, code.find('.')));
}

/// Fold of every record (index into set.records), numbered from 0.
std::vector<std::uint32_t> assign_folds(const TrainingSet& set, const EvaluateOptions& options,
                                        std::size_t& folds) {
    std::vector<std::uint32_t> fold(set.records.size(), 0);
    if (options.folds.empty()) {
        if (options.k < 2) {
            throw InvalidInput("--k " + std::to_string(options.k) +
                               " is too small; cross-validation needs 2 folds or more");
        }
        if (options.k > set.records.size()) {
            // A fold without records would be reported as evaluated, and scored as zeros.
            throw InvalidInput("--k " + std::to_string(options.k) + " asks for more folds than " +
                               "facet '" + set.facet + "' has labelled records (" +
                               std::to_string(set.records.size()) + "); give --k from 2 to " +
                               std::to_string(set.records.size()));
        }
        std::vector<std::uint32_t> all(set.records.size());
        std::iota(all.begin(), all.end(), 0U);
        fold = stratified_folds(set.records, all, options.k, options.seed);
        folds = options.k;
        return fold;
    }
    std::set<int> values;
    for (const auto& [id, f] : options.folds.fold)
        values.insert(f);
    const std::vector<int> ordered(values.begin(), values.end());
    std::vector<std::string> missing;
    for (std::size_t i = 0; i < set.records.size(); ++i) {
        auto it = options.folds.fold.find(set.records[i].id);
        if (it == options.folds.fold.end()) {
            missing.push_back(set.records[i].id);
            continue;
        }
        fold[i] = static_cast<std::uint32_t>(
            std::lower_bound(ordered.begin(), ordered.end(), it->second) - ordered.begin());
    }
    if (!missing.empty()) {
        std::string list;
        for (std::size_t i = 0; i < missing.size() && i < 5; ++i)
            list += (i ? ", " : "") + ("'" + missing[i] + "'");
        const std::string source = options.folds.path.empty()
                                       ? "the folds give"
                                       : "folds file '" + options.folds.path + "' gives";
        throw InvalidInput(source + " no fold for " + std::to_string(missing.size()) +
                           " labelled record(s), e.g. " + list +
                           "; add a line 'id,fold' for each, or leave out "
                           "--folds to use stratified folds");
    }
    if (ordered.size() < 2) {
        throw InvalidInput("the folds name only " + std::to_string(ordered.size()) +
                           " fold; cross-validation needs 2 folds or more");
    }
    folds = ordered.size();
    return fold;
}

struct Counts {
    std::size_t support = 0, predicted = 0, correct = 0;
};

} // namespace

EvaluationReport evaluate(const Index& index, const EvaluateOptions& options) {
    TrainingSet set = collect_training_set(index, options.facet, options.train.features,
                                           options.train.word_vectors != nullptr);
    // A fold for a record the index does not hold: most likely the folds of another data set.
    std::set<std::string_view> labelled;
    for (const TrainingRecord& r : set.records)
        labelled.insert(r.id);
    for (const auto& [id, f] : options.folds.fold) {
        if (labelled.count(id) == 0 && !index.find(id)) {
            throw InvalidInput(options.folds.where(id) + ": record '" + id + "' is not in index '" +
                               index.paths().front() +
                               "'; give folds of this index's records (remove the line, or index "
                               "the record first)");
        }
    }
    return evaluate(set, options);
}

EvaluationReport evaluate(const TrainingSet& set, const EvaluateOptions& options) {
    if (set.records.empty()) {
        throw InvalidInput("facet '" + set.facet +
                           "' has no labelled records to evaluate; index coded records first");
    }
    if (set.records.size() < 2) {
        throw InvalidInput("facet '" + set.facet +
                           "' has 1 labelled record; cross-validation holds records out and "
                           "trains on the others, so it needs 2 or more: index more coded "
                           "records");
    }
    EvaluationReport report;
    report.facet = set.facet;
    report.hierarchical = set.hierarchical;
    report.n = set.records.size();
    std::size_t planned_folds = 0;
    const std::vector<std::uint32_t> fold = assign_folds(set, options, planned_folds);

    std::set<std::string> distinct;
    std::map<std::string, Counts> counts;
    std::map<std::pair<std::string, std::string>, std::size_t> confusions;
    std::vector<std::pair<double, bool>> reliability; // (confidence, right) of the top suggestions
    double log_loss = 0;
    std::size_t log_loss_n = 0;

    for (std::uint32_t f = 0; f < planned_folds; ++f) {
        std::vector<std::uint32_t> train;
        std::vector<std::uint32_t> test;
        for (std::uint32_t i = 0; i < set.records.size(); ++i) {
            (fold[i] == f ? test : train).push_back(i);
        }
        if (test.empty())
            continue; // a fold of the folds file holding none of this facet's labelled records
        if (train.empty()) {
            throw InvalidInput("the folds put all " + std::to_string(set.records.size()) +
                               " labelled records of facet '" + set.facet +
                               "' in one fold, leaving nothing to train on; give them 2 folds "
                               "or more");
        }
        ++report.folds; // the folds reported are those evaluated
        TrainOptions fold_options = options.train;
        if (options.train.progress) {
            // One share of 1,000 units per fold, filled by that fold's own training.
            fold_options.progress = [&options, f, folds = planned_folds](std::uint64_t done,
                                                                         std::uint64_t total) {
                const std::uint64_t share = total == 0 ? 1000 : done * 1000 / total;
                options.train.progress(f * 1000ULL + share, folds * 1000ULL);
            };
        }
        const SuggestModel model = train_model(set, train, fold_options);
        report.multi_label = report.multi_label || model.multi_label;
        for (std::uint32_t r : test) {
            const TrainingRecord& record = set.records[r];
            const std::set<std::string> gold(record.labels.begin(), record.labels.end());
            distinct.insert(gold.begin(), gold.end());
            const ComponentScores components =
                model.score(model.vocabulary.vectorize(record.terms, set.dictionary), &record.bag);
            const std::vector<float> scores = model.combine(components);
            const std::vector<float> confidence = model.confidences(components);
            std::vector<std::uint32_t> order(scores.size());
            std::iota(order.begin(), order.end(), 0U);
            std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
                return confidence[a] != confidence[b] ? confidence[a] > confidence[b]
                                                      : scores[a] > scores[b];
            });
            auto right = [&](std::size_t rank) {
                return rank < order.size() && gold.count(model.labels[order[rank]]) > 0;
            };

            const std::string& top = model.labels[order.front()];
            report.top1 += right(0) ? 1 : 0;
            std::size_t hits3 = 0;
            for (std::size_t k = 0; k < 3; ++k)
                hits3 += right(k) ? 1 : 0;
            report.top3 += hits3 > 0 ? 1 : 0;
            const double recall3 = static_cast<double>(hits3) / static_cast<double>(gold.size());
            report.recall_at_3 += recall3;
            const double precision3 = static_cast<double>(hits3) / 3.0;
            report.f1_at_3 += hits3 == 0 ? 0.0 : 2 * precision3 * recall3 / (precision3 + recall3);
            double dcg = 0, ideal = 0;
            for (std::size_t k = 0; k < 5; ++k) {
                const double discount = 1.0 / std::log2(static_cast<double>(k) + 2.0);
                dcg += right(k) ? discount : 0.0;
                ideal += k < gold.size() ? discount : 0.0;
            }
            report.ndcg_at_5 += dcg / ideal;

            if (set.hierarchical) {
                std::set<std::string> gold_groups;
                for (const auto& g : gold)
                    gold_groups.insert(first_segment(g));
                const std::vector<double> groups = category_confidences(model, confidence);
                const auto best = std::max_element(groups.begin(), groups.end()) - groups.begin();
                report.category_derived +=
                    gold_groups.count(model.group_codes[static_cast<std::size_t>(best)]) ? 1 : 0;
                report.category_accuracy += gold_groups.count(first_segment(top)) ? 1 : 0;
            }
            if (!model.multi_label) {
                auto it = std::find(model.labels.begin(), model.labels.end(), *gold.begin());
                const double p =
                    it == model.labels.end()
                        ? 0.0
                        : confidence[static_cast<std::size_t>(it - model.labels.begin())];
                log_loss += -std::log(std::max(p, 1e-12));
                ++log_loss_n;
            }

            ++counts[top].predicted;
            if (gold.count(top))
                ++counts[top].correct;
            for (const auto& g : gold) {
                ++counts[g].support;
            }
            if (!gold.count(top))
                ++confusions[{record.labels.front(), top}];
            for (std::size_t k = 0; k < options.calibration_top && k < order.size(); ++k) {
                reliability.emplace_back(confidence[order[k]], right(k));
            }
        }
    }

    const auto n = static_cast<double>(report.n);
    for (double* v : {&report.top1, &report.top3, &report.recall_at_3, &report.f1_at_3,
                      &report.ndcg_at_5, &report.category_accuracy, &report.category_derived}) {
        *v /= n;
    }
    report.log_loss = log_loss_n == 0 ? 0.0 : log_loss / static_cast<double>(log_loss_n);
    report.labels = distinct.size();

    std::vector<std::pair<std::string, Counts>> ordered(counts.begin(), counts.end());
    if (set.hierarchical) {
        std::sort(ordered.begin(), ordered.end(),
                  [](const auto& a, const auto& b) { return code_less(a.first, b.first); });
    }
    double f1_sum = 0;
    for (const auto& [code, c] : ordered) {
        CodeQuality q;
        q.code = code;
        auto name = set.names.find(code);
        q.name = name == set.names.end() ? std::string() : name->second;
        q.support = c.support;
        q.predicted = c.predicted;
        q.correct = c.correct;
        q.precision = c.predicted == 0
                          ? 0.0
                          : static_cast<double>(c.correct) / static_cast<double>(c.predicted);
        q.recall =
            c.support == 0 ? 0.0 : static_cast<double>(c.correct) / static_cast<double>(c.support);
        q.f1 = c.support + c.predicted == 0 ? 0.0
                                            : 2.0 * static_cast<double>(c.correct) /
                                                  static_cast<double>(c.support + c.predicted);
        f1_sum += q.f1;
        report.codes.push_back(std::move(q));
    }
    report.macro_f1 =
        report.codes.empty() ? 0.0 : f1_sum / static_cast<double>(report.codes.size());

    for (const auto& [pair, count] : confusions) {
        report.confusions.push_back({pair.first, pair.second, count});
    }
    std::stable_sort(report.confusions.begin(), report.confusions.end(),
                     [](const auto& a, const auto& b) { return a.count > b.count; });
    if (report.confusions.size() > 10)
        report.confusions.resize(10);

    constexpr int kBins = 10;
    std::vector<ReliabilityBin> bins(kBins);
    for (int b = 0; b < kBins; ++b) {
        bins[static_cast<std::size_t>(b)].lower = b / static_cast<double>(kBins);
        bins[static_cast<std::size_t>(b)].upper = (b + 1) / static_cast<double>(kBins);
    }
    for (const auto& [confidence, right] : reliability) {
        auto& bin = bins[static_cast<std::size_t>(
            std::min(kBins - 1, static_cast<int>(confidence * kBins)))];
        ++bin.count;
        bin.mean_confidence += confidence;
        bin.accuracy += right ? 1 : 0;
    }
    for (auto& bin : bins) {
        if (bin.count == 0)
            continue;
        bin.mean_confidence /= static_cast<double>(bin.count);
        bin.accuracy /= static_cast<double>(bin.count);
        report.ece += static_cast<double>(bin.count) / static_cast<double>(reliability.size()) *
                      std::fabs(bin.accuracy - bin.mean_confidence);
    }
    report.calibration = std::move(bins);
    return report;
}

nlohmann::json to_json(const EvaluationReport& r) {
    auto round4 = [](double v) { return std::round(v * 1e4) / 1e4; };
    nlohmann::json codes = nlohmann::json::array();
    for (const auto& c : r.codes) {
        codes.push_back({{"code", c.code},
                         {"name", c.name},
                         {"support", c.support},
                         {"predicted", c.predicted},
                         {"correct", c.correct},
                         {"precision", round4(c.precision)},
                         {"recall", round4(c.recall)},
                         {"f1", round4(c.f1)}});
    }
    nlohmann::json confusions = nlohmann::json::array();
    for (const auto& c : r.confusions) {
        confusions.push_back({{"gold", c.gold}, {"predicted", c.predicted}, {"count", c.count}});
    }
    nlohmann::json calibration = nlohmann::json::array();
    for (const auto& b : r.calibration) {
        calibration.push_back({{"lower", b.lower},
                               {"upper", b.upper},
                               {"count", b.count},
                               {"mean_confidence", round4(b.mean_confidence)},
                               {"accuracy", round4(b.accuracy)}});
    }
    nlohmann::json out = {{"facet", r.facet},
                          {"n", r.n},
                          {"folds", r.folds},
                          {"labels", r.labels},
                          {"multi_label", r.multi_label},
                          {"top1", round4(r.top1)},
                          {"top3", round4(r.top3)},
                          {"r_at_3", round4(r.recall_at_3)},
                          {"f1_at_3", round4(r.f1_at_3)},
                          {"ndcg_at_5", round4(r.ndcg_at_5)},
                          {"macro_f1", round4(r.macro_f1)},
                          {"ece", round4(r.ece)},
                          {"codes", std::move(codes)},
                          {"confusions", std::move(confusions)},
                          {"calibration", std::move(calibration)}};
    if (!r.multi_label)
        out["log_loss"] = round4(r.log_loss);
    if (r.hierarchical) {
        out["category_accuracy"] = round4(r.category_accuracy);
        out["category_derived"] = round4(r.category_derived);
    }
    return out;
}

} // namespace airm
