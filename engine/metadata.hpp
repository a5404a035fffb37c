#pragma once
/// What an index records about itself: schema version, analyzer configuration, facets and their
/// value slots, and the taxonomies of hierarchical facets.

#include "engine/analysis/analyzer.hpp"
#include "engine/taxonomy.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace airm {

/// One facet of the index.
struct FacetInfo {
    bool hierarchical = false; ///< values are dotted codes, filters match a code and all below it
    unsigned slot = 0;         ///< value slot holding the record's values (with ancestors)
};

/// Which part of a sharded collection an index holds: the records whose id hashes to `index`
/// (shard_of(id, count) == index). An index with a shard, even 0/1, is in the remote-servable
/// layout: every term a query needs is written (the text's stem terms too) and the stored record
/// is the document data, so a stock `xapian-tcpsrv` serves all of it.
struct ShardSpec {
    std::uint32_t index = 0;
    std::uint32_t count = 1;

    friend bool operator==(const ShardSpec&, const ShardSpec&) = default;
    /// "K/N".
    [[nodiscard]] std::string to_string() const;
    /// Parses "K/N" (0 <= K < N <= 65536); nullopt when `text` is not that.
    [[nodiscard]] static std::optional<ShardSpec> parse(std::string_view text);
};

/// The shard of a record id among `count` shards: FNV-1a (64 bits) of the id's UTF-8 bytes, modulo
/// `count`. Stable across machines and versions, so every machine can read the same inputs and
/// keep its own records, and re-indexing or deleting a record reaches the same shard.
[[nodiscard]] std::uint32_t shard_of(std::string_view id, std::uint32_t count);

/// The metadata saved inside every index, as JSON starting with format name and version.
struct IndexMetadata {
    int schema_version = 0;
    AnalyzerConfig analyzer;
    /// Set for the remote-servable layout (see ShardSpec); unset: the local layout (records in
    /// record files, the text's stem terms derived at search time).
    std::optional<ShardSpec> shard;
    std::map<std::string, FacetInfo> facets;
    std::map<std::string, Taxonomy> taxonomies; ///< by facet name, hierarchical facets only

    /// Metadata for a new, empty index of the current schema.
    [[nodiscard]] static IndexMetadata fresh(AnalyzerConfig analyzer = {});
    /// Returns the facet, registering it with the next free slot when new.
    FacetInfo& ensure_facet(const std::string& name, bool hierarchical);
    [[nodiscard]] const FacetInfo* facet(std::string_view name) const;
    /// The taxonomy of a hierarchical facet, or nullptr.
    [[nodiscard]] const Taxonomy* taxonomy(std::string_view facet) const;
    /// True for the remote-servable layout.
    [[nodiscard]] bool servable() const { return shard.has_value(); }

    [[nodiscard]] std::string to_json() const;
    /// Parses saved metadata; throws VersionMismatch for another format version, naming both.
    [[nodiscard]] static IndexMetadata from_json(std::string_view json, std::string_view where);
};

/// Name and version of the metadata format.
inline constexpr std::string_view kIndexFormatName = "airm-index";

} // namespace airm
