#include "query/suggest/store.hpp"

#include "engine/detail/xapian_access.hpp"
#include "engine/error.hpp"
#include "query/suggest/file_format.hpp"

#include <algorithm>
#include <filesystem>
#include <utility>

namespace airm {

std::string index_fingerprint(const Index& index) {
    const Xapian::Database& db = detail::IndexAccess::database(index);
    try {
        std::string out = db.get_uuid();
        out += ':';
        try {
            out += std::to_string(db.get_revision());
        } catch (const Xapian::InvalidOperationError&) {
            // Several shards have no single revision: use each shard's own.
            for (const auto& shard : detail::IndexAccess::shards(index)) {
                try {
                    out += std::to_string(shard.get_revision()) + ',';
                } catch (const Xapian::UnimplementedError&) {
                    // A shard server tells no revision: its size and last document instead.
                    out += std::to_string(shard.get_total_length()) + '/' +
                           std::to_string(shard.get_lastdocid()) + ',';
                }
            }
        }
        out += ':' + std::to_string(db.get_doccount()) + ':' + std::to_string(db.get_lastdocid());
        return out;
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, index.paths().front());
    }
}

SuggestModel train_for_index(const Index& index, const std::string& facet,
                             const TrainOptions& options) {
    // The fingerprint is taken before reading the records, so a change committed meanwhile makes
    // the model stale rather than silently missing.
    std::string fingerprint = index_fingerprint(index);
    TrainingSet set =
        collect_training_set(index, facet, options.features, options.word_vectors != nullptr);
    SuggestModel model = train_model(std::move(set), options);
    model.index_records = index.record_count();
    model.index_fingerprint = std::move(fingerprint);
    return model;
}

void save_for_index(const SuggestModel& model, const Index& index) {
    const std::string path = model_path(index.paths().front(), model.facet);
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    save_model(model, path);
}

SuggestModel train_and_save(const Index& index, const std::string& facet,
                            const TrainOptions& options) {
    SuggestModel model = train_for_index(index, facet, options);
    save_for_index(model, index);
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

std::shared_ptr<const WordVectors> saved_word_vectors(const Index& index,
                                                      const std::string& facet) {
    try {
        return load_word_vectors(model_path(index.paths().front(), facet));
    } catch (const NotFound&) {
        return nullptr; // no model yet: nothing to carry over
    } catch (const VersionMismatch&) {
        return nullptr; // models before version 4 held no word vectors
    }
}

bool model_is_stale(const Index& index, const SuggestModel& model) {
    return model.index_fingerprint.empty() || model.index_fingerprint != index_fingerprint(index);
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

} // namespace airm
