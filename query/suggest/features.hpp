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
    /// Fits on the bags of training records (extra bags, e.g. taxonomy texts, count as documents).
    [[nodiscard]] static Vocabulary fit(const std::vector<const FeatureBag*>& bags,
                                        std::uint32_t min_df);
    /// Rebuilds from saved terms and IDFs.
    [[nodiscard]] static Vocabulary from_parts(std::vector<std::string> terms,
                                               std::vector<float> idf);

    /// Index of a term, or -1 when it is not in the vocabulary.
    [[nodiscard]] std::int64_t find(std::string_view term) const;
    /// The sublinear TF-IDF vector of a bag, L2-normalised (empty when no feature is known).
    /// `positions`, when given, receives for each vector entry the index of its feature in the bag.
    [[nodiscard]] SparseVector vectorize(const FeatureBag& bag,
                                         std::vector<std::uint32_t>* positions = nullptr) const;

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
