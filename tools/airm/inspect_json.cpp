#include "inspect_json.hpp"

#include "engine/error.hpp"
#include "query/suggest/word_vectors.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace airm::cli {

using nlohmann::json;

json taxonomy_tree_json(const Taxonomy& taxonomy,
                        const std::map<std::string, std::uint64_t>& counts,
                        const std::string& parent) {
    json out = json::array();
    for (const auto& code : taxonomy.children(parent)) {
        auto it = counts.find(code);
        json node = {{"value", code},
                     {"name", taxonomy.name_of(code)},
                     {"count", it == counts.end() ? 0 : it->second}};
        node["children"] = taxonomy_tree_json(taxonomy, counts, code);
        out.push_back(std::move(node));
    }
    return out;
}

namespace {

json facet_summary(const Index& index, const std::string& facet) {
    const IndexMetadata& meta = index.metadata();
    auto counts = index.facet_counts(facet);
    const Taxonomy* taxonomy = meta.taxonomy(facet);
    if (taxonomy != nullptr && meta.facet(facet)->hierarchical) {
        return taxonomy_tree_json(*taxonomy, counts, "");
    }
    std::vector<std::pair<std::string, std::uint64_t>> sorted(counts.begin(), counts.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    json out = json::array();
    for (const auto& [value, count] : sorted)
        out.push_back({{"value", value}, {"count", count}});
    return out;
}

} // namespace

json stats_json(const Index& index) {
    const IndexMetadata& meta = index.metadata();
    const Index::RecordSpace space = index.record_space();
    json out = {
        {"db", index.paths().front()},
        {"records", index.record_count()},
        {"size_bytes", index.size_on_disk()},
        {"record_files",
         {{"files", space.files}, {"bytes", space.bytes}, {"unused_bytes", space.unused_bytes}}},
        {"schema_version", meta.schema_version},
        {"layout", meta.servable() ? "remote-servable" : "local"},
        {"shard", meta.shard && index.shard_names().size() == 1 ? json(meta.shard->to_string())
                                                                : json(nullptr)},
        {"shards", index.shard_names()},
        {"analyzer",
         {{"language", meta.analyzer.language},
          {"fold_diacritics", meta.analyzer.fold_diacritics}}}};
    json facets = json::object();
    for (const auto& [name, info] : meta.facets) {
        facets[name] = {{"hierarchical", info.hierarchical},
                        {"values", facet_summary(index, name)}};
    }
    out["facets"] = facets;
    return out;
}

json taxonomy_json(const Index& index, const std::string& facet) {
    const Taxonomy* taxonomy = index.metadata().taxonomy(facet);
    if (taxonomy == nullptr) {
        std::string names;
        for (const auto& [name, t] : index.metadata().taxonomies)
            names += (names.empty() ? "" : ", ") + name;
        throw NotFound("facet '" + facet +
                       "' has no taxonomy in this index; hierarchical facets are: " +
                       (names.empty() ? std::string("none") : names));
    }
    json tree = taxonomy_tree_json(*taxonomy, index.facet_counts(facet), "");
    return json{{"facet", facet}, {"title", taxonomy->title()}, {"tree", tree}};
}

json train_report_json(const SuggestModel& m, const std::string& field, const std::string& path) {
    return {{"field", field},
            {"model", path},
            {"records", m.trained_records},
            {"codes", m.labels.size()},
            {"features", m.vocabulary.size()},
            {"multi_label", m.multi_label},
            {"neighbour_weight", m.neighbour_weight},
            {"prior_weight", m.prior_weight},
            {"temperature", m.temperature},
            {"word_vectors", m.word_vectors == nullptr ? std::size_t{0} : m.word_vectors->size()},
            {"embedding_weight", m.embedding_weight}};
}

} // namespace airm::cli
