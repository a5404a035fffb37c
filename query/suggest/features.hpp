#pragma once
/// Features of a record for suggestion: the analyzer's stems (or whole terms for codes, numbers and
/// compounds), word bigrams and the source document, turned into L2-normalised TF-IDF vectors over
/// a vocabulary fitted on training records only.

#include "engine/analysis/analyzer.hpp"
#include "engine/record/record.hpp"
#include "query/suggest/string_hash.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace airm {

/// How a record becomes features; saved with every model so suggestion extracts them the same way.
struct FeatureOptions {
    float title_weight = 2.0F;     ///< an occurrence in the title counts this many times
    float text_weight = 1.0F;      ///< ... in the text
    float reasoning_weight = 1.0F; ///< ... in the reasoning
    float source_weight = 1.0F;    ///< count of the source-document feature
    bool bigrams = true;           ///< adjacent word pairs as features
    std::uint32_t min_df =
        0; ///< features in fewer training records are dropped (0: 1 below 2,000 records, else 2)
};

/// One feature of one record: its name ("stem", "stem_stem", "@source") and weighted count.
struct RawFeature {
    std::string term;
    float count = 0;
};

/// The features of one record before a vocabulary maps them, with the input words behind each
/// (for explanations) when asked for.
struct FeatureBag {
    std::vector<RawFeature> features;  ///< sorted by term, each term once
    std::vector<std::string> surfaces; ///< parallel to features when surfaces were asked for
    /// The record's folded words (unstemmed) with field-weighted counts, sorted: what word
    /// vectors are looked up by.
    std::vector<RawFeature> words;
};

/// A sparse vector: (feature index, value) sorted by index.
using SparseVector = std::vector<std::pair<std::uint32_t, float>>;

/// Feature names read while collecting training records, each stored once in one buffer, so that
/// a record holds 8 bytes a feature (TermCount) instead of a string: what keeps training's memory
/// small at hundreds of thousands of records.
class TermDictionary {
  public:
    /// The id of `term`, adding it when new (ids count up from 0).
    [[nodiscard]] std::uint32_t intern(std::string_view term);
    /// The term of an id returned by intern.
    [[nodiscard]] std::string_view term(std::uint32_t id) const {
        return std::string_view(chars_).substr(ends_[id] - length(id), length(id));
    }
    [[nodiscard]] std::size_t size() const { return ends_.size(); }

  private:
    [[nodiscard]] std::size_t length(std::uint32_t id) const {
        return ends_[id] - (id == 0 ? 0 : ends_[id - 1]);
    }
    void grow();
    std::string chars_;                ///< every term, one after the other
    std::vector<std::uint64_t> ends_;  ///< id -> end of its term in chars_
    std::vector<std::uint32_t> slots_; ///< open-addressing table of id + 1 (0: empty)
};

/// One feature of a training record: its term's id in a TermDictionary and its weighted count.
struct TermCount {
    std::uint32_t term = 0;
    float count = 0;
};

/// A training record's features (each term once), by dictionary id.
using TermCounts = std::vector<TermCount>;

/// The features of `bag` interned in `dictionary`.
[[nodiscard]] TermCounts intern_features(const FeatureBag& bag, TermDictionary& dictionary);

/// The source-document feature name of a reference.
[[nodiscard]] std::string source_feature(std::string_view folded_ref);

/// Extracts the features of a record. `with_surfaces` keeps the first input words of each feature;
/// `with_words` fills FeatureBag::words (needed only by models with word vectors).
[[nodiscard]] FeatureBag extract_features(const Record& record, const Analyzer& analyzer,
                                          const FeatureOptions& options, bool with_surfaces = false,
                                          bool with_words = true);

/// Feature names and their inverse document frequencies, fitted on training records.
class Vocabulary {
  public:
    Vocabulary() = default;
    /// Fits on the interned features of training records (extra ones, e.g. taxonomy texts, count
    /// as documents). `index_of` receives, for each dictionary id, the term's index in the
    /// vocabulary or -1, for vectorize.
    [[nodiscard]] static Vocabulary fit(const std::vector<const TermCounts*>& bags,
                                        const TermDictionary& dictionary, std::uint32_t min_df,
                                        std::vector<std::int32_t>& index_of);
    /// Rebuilds from saved terms and IDFs.
    [[nodiscard]] static Vocabulary from_parts(std::vector<std::string> terms,
                                               std::vector<float> idf);

    /// Index of a term, or -1 when it is not in the vocabulary.
    [[nodiscard]] std::int64_t find(std::string_view term) const;
    /// The sublinear TF-IDF vector of a bag, L2-normalised (empty when no feature is known).
    /// `positions`, when given, receives for each vector entry the index of its feature in the bag.
    [[nodiscard]] SparseVector vectorize(const FeatureBag& bag,
                                         std::vector<std::uint32_t>* positions = nullptr) const;
    /// The same vector for interned features, `index_of` mapping dictionary ids to this
    /// vocabulary (from fit).
    [[nodiscard]] SparseVector vectorize(const TermCounts& terms,
                                         const std::vector<std::int32_t>& index_of) const;
    /// The same vector for interned features, looking each term up by name.
    [[nodiscard]] SparseVector vectorize(const TermCounts& terms,
                                         const TermDictionary& dictionary) const;

    [[nodiscard]] std::size_t size() const { return terms_.size(); }
    [[nodiscard]] const std::vector<std::string>& terms() const { return terms_; }
    [[nodiscard]] const std::vector<float>& idf() const { return idf_; }

  private:
    void build_lookup();
    std::vector<std::string> terms_;
    std::vector<float> idf_;
    std::unordered_map<std::string, std::uint32_t, TransparentStringHash, std::equal_to<>> lookup_;
};

} // namespace airm
