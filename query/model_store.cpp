#include "query/model_store.hpp"

#include "engine/error.hpp"
#include "query/model_io.hpp"

#include <algorithm>
#include <filesystem>

namespace airm {

SuggestModel train_and_save(const Index& index, const std::string& facet,
                            const TrainOptions& options) {
    TrainingSet set = collect_training_set(index, facet, options.features);
    SuggestModel model = train_model(set, {}, options);
    model.index_records = index.record_count();
    save_model(model, model_path(index.paths().front(), facet));
    return model;
}

Suggester open_suggester(const Index& index, const std::string& facet) {
    const std::string path = model_path(index.paths().front(), facet);
    SuggestModel model = load_model(path);
    if (!(model.analyzer == index.metadata().analyzer)) {
        throw IndexError("model '" + path + "' was trained with another analyzer (language '" +
                         model.analyzer.language + "') than index '" + index.paths().front() +
                         "' uses; rebuild it with 'airm train --db " + index.paths().front() +
                         " --field " + facet + "'");
    }
    return Suggester(std::move(model));
}

bool model_is_stale(const Index& index, const SuggestModel& model) {
    return model.index_records != index.record_count();
}

std::vector<std::string> facets_to_model(const Index& index) {
    std::vector<std::string> out = model_facets(index.paths().front());
    for (const auto& [name, info] : index.metadata().facets) {
        if (!info.hierarchical || std::find(out.begin(), out.end(), name) != out.end())
            continue;
        const auto counts = index.facet_counts(name);
        if (!counts.empty())
            out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> update_models(const std::string& db, const TrainOptions& options) {
    const Index index = Index::open(db);
    std::vector<std::string> trained;
    for (const auto& facet : facets_to_model(index)) {
        if (index.metadata().facet(facet) == nullptr)
            continue; // a model of a facet the index lost
        try {
            (void)train_and_save(index, facet, options);
            trained.push_back(facet);
        } catch (const InvalidInput&) {
            // No labelled records left for this facet: nothing to learn from, so no stale model
            // either.
            std::error_code ec;
            std::filesystem::remove(model_path(db, facet), ec);
        }
    }
    return trained;
}

} // namespace airm
