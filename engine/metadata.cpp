#include "engine/metadata.hpp"

#include "engine/error.hpp"
#include "engine/schema.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace airm {

using nlohmann::json;

std::string ShardSpec::to_string() const {
    return std::to_string(index) + "/" + std::to_string(count);
}

std::optional<ShardSpec> ShardSpec::parse(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos)
        return std::nullopt;
    auto number = [](std::string_view s) -> std::optional<std::uint32_t> {
        std::uint32_t v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || p != s.data() + s.size())
            return std::nullopt;
        return v;
    };
    const auto k = number(text.substr(0, slash));
    const auto n = number(text.substr(slash + 1));
    constexpr std::uint32_t kMostShards = 65536;
    if (!k || !n || *n == 0 || *n > kMostShards || *k >= *n)
        return std::nullopt;
    return ShardSpec{*k, *n};
}

std::uint32_t shard_of(std::string_view id, std::uint32_t count) {
    std::uint64_t hash = 14695981039346656037ULL; // FNV-1a 64 offset basis
    for (const char c : id) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ULL; // FNV-1a 64 prime
    }
    return count == 0 ? 0 : static_cast<std::uint32_t>(hash % count);
}

IndexMetadata IndexMetadata::fresh(AnalyzerConfig analyzer) {
    IndexMetadata meta;
    meta.schema_version = schema::kVersion;
    meta.analyzer = std::move(analyzer);
    return meta;
}

FacetInfo& IndexMetadata::ensure_facet(const std::string& name, bool hierarchical) {
    auto it = facets.find(name);
    if (it != facets.end()) {
        return it->second;
    }
    unsigned slot = schema::kFirstFacetSlot;
    for (const auto& [other, info] : facets) {
        slot = std::max(slot, info.slot + 1);
    }
    FacetInfo& info = facets[name];
    info.hierarchical = hierarchical;
    info.slot = slot;
    if (hierarchical && !taxonomies.count(name)) {
        taxonomies.emplace(name, Taxonomy(name));
    }
    return info;
}

const FacetInfo* IndexMetadata::facet(std::string_view name) const {
    auto it = facets.find(std::string(name));
    return it == facets.end() ? nullptr : &it->second;
}

const Taxonomy* IndexMetadata::taxonomy(std::string_view facet_name) const {
    auto it = taxonomies.find(std::string(facet_name));
    return it == taxonomies.end() ? nullptr : &it->second;
}

std::string IndexMetadata::to_json() const {
    // Ordered, so that the saved metadata starts with its format name and version.
    using ordered = nlohmann::ordered_json;
    ordered out;
    out["format"] = kIndexFormatName;
    out["version"] = schema_version;
    out["analyzer"] = {{"language", analyzer.language},
                       {"fold_diacritics", analyzer.fold_diacritics}};
    if (shard) {
        out["layout"] = "remote-servable";
        out["shard"] = {{"index", shard->index}, {"count", shard->count}};
    }
    ordered f = ordered::object();
    for (const auto& [name, info] : facets) {
        f[name] = {{"hierarchical", info.hierarchical}, {"slot", info.slot}};
    }
    out["facets"] = std::move(f);
    ordered t = ordered::object();
    for (const auto& [name, taxonomy] : taxonomies) {
        t[name] = ordered::parse(taxonomy.to_json());
    }
    out["taxonomies"] = std::move(t);
    return out.dump();
}

IndexMetadata IndexMetadata::from_json(std::string_view text, std::string_view where) {
    json doc;
    try {
        doc = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
        throw IndexError(std::string(where) + ": index metadata is corrupt (" + e.what() +
                         "); rebuild the index with 'airm index --rebuild'");
    }
    if (!doc.is_object() || doc.value("format", "") != kIndexFormatName) {
        throw IndexError(std::string(where) +
                         " is not an airm index (its metadata has no \"format\": \"airm-index\")");
    }
    IndexMetadata meta;
    meta.schema_version = doc.value("version", 0);
    if (meta.schema_version != schema::kVersion) {
        throw VersionMismatch(std::string(where) + " has index schema version " +
                              std::to_string(meta.schema_version) +
                              ", but this airm reads version " + std::to_string(schema::kVersion) +
                              "; rebuild it from its source data with 'airm index --rebuild --db " +
                              std::string(where) + " FILE...'");
    }
    try {
        const json& a = doc.at("analyzer");
        meta.analyzer.language = a.value("language", "english");
        meta.analyzer.fold_diacritics = a.value("fold_diacritics", true);
        if (doc.contains("shard")) {
            const json& sh = doc.at("shard");
            meta.shard =
                ShardSpec{sh.at("index").get<std::uint32_t>(), sh.at("count").get<std::uint32_t>()};
        }
        for (const auto& [name, info] : doc.at("facets").items()) {
            meta.facets[name] =
                FacetInfo{info.value("hierarchical", false), info.value("slot", 0U)};
        }
        for (const auto& [name, taxonomy] : doc.at("taxonomies").items()) {
            meta.taxonomies.emplace(name, Taxonomy::from_json(taxonomy.dump(), where));
        }
    } catch (const json::exception& e) {
        throw IndexError(std::string(where) + ": index metadata is corrupt (" + e.what() +
                         "); rebuild the index with 'airm index --rebuild'");
    }
    return meta;
}

} // namespace airm
