#include "query/suggest/file_format.hpp"

#include "engine/error.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;

namespace airm {
namespace {

static_assert(std::endian::native == std::endian::little, "model files are written little-endian");

constexpr std::string_view kFilePrefix = "airm-suggest-";
constexpr std::string_view kFileSuffix = ".model";
constexpr std::string_view kBinaryMagic = "AIRMSUGG";
constexpr std::string_view kEndMagic = "END.";
/// The last format version whose files hold the members that measurements rejected (BM25 vote,
/// source and label priors, sibling models, re-ranker); its word vectors are still read.
constexpr int kFormatWithRejectedMembers = 4;

std::string facet_from_path(const std::string& path) {
    std::string name = fs::path(path).filename().string();
    if (name.rfind(kFilePrefix, 0) == 0 && name.size() > kFilePrefix.size() + kFileSuffix.size()) {
        return name.substr(kFilePrefix.size(),
                           name.size() - kFilePrefix.size() - kFileSuffix.size());
    }
    return "FACET";
}

std::string fix_for(const std::string& path) {
    const std::string db = fs::path(path).parent_path().string();
    return "rebuild it with 'airm train --db " + (db.empty() ? std::string(".") : db) +
           " --field " + facet_from_path(path) + "'";
}

class Writer {
  public:
    void u32(std::uint32_t v) { raw(&v, sizeof v); }
    void f32(float v) { raw(&v, sizeof v); }
    void str(std::string_view s) {
        u32(static_cast<std::uint32_t>(s.size()));
        out.append(s);
    }
    void floats(const std::vector<float>& v) {
        u32(static_cast<std::uint32_t>(v.size()));
        raw(v.data(), v.size() * sizeof(float));
    }
    /// A sparse vector: its length, the gaps between its indices (each index minus the previous
    /// one minus 1, the first from -1) as LEB128 varints, then its values: the examples of the
    /// 10,000-record benchmark model (131,083 features) take 5.6 bytes an entry instead of 8.
    void sparse(const SparseVector& v) {
        u32(static_cast<std::uint32_t>(v.size()));
        if (pairs) {
            for (const auto& [index, value] : v) {
                u32(index);
                f32(value);
            }
            return;
        }
        std::uint32_t next = 0; // the smallest index the next entry can have
        for (const auto& entry : v) {
            std::uint32_t gap = entry.first - next;
            while (gap >= 0x80) {
                out.push_back(static_cast<char>((gap & 0x7F) | 0x80));
                gap >>= 7;
            }
            out.push_back(static_cast<char>(gap));
            next = entry.first + 1;
        }
        for (const auto& entry : v)
            f32(entry.second);
    }
    void raw(const void* data, std::size_t size) {
        out.append(static_cast<const char*>(data), size);
    }
    std::string out;
    bool pairs = false; ///< sparse vectors as (index, value) pairs: format version 5
};

class Reader {
  public:
    Reader(std::string_view data, const std::string& path) : data_(data), path_(path) {}
    std::uint32_t u32() {
        std::uint32_t v = 0;
        raw(&v, sizeof v);
        return v;
    }
    float f32() {
        float v = 0;
        raw(&v, sizeof v);
        return v;
    }
    std::string str() {
        const std::uint32_t n = u32();
        need(n);
        std::string s(data_.substr(pos_, n));
        pos_ += n;
        return s;
    }
    std::vector<float> floats() {
        const std::uint32_t n = u32();
        need(static_cast<std::size_t>(n) * sizeof(float));
        std::vector<float> v(n);
        raw(v.data(), v.size() * sizeof(float));
        return v;
    }
    /// A sparse vector as Writer::sparse writes it or, with `pairs` (format version 5 and
    /// before), as (index, value) pairs of 4 bytes each.
    SparseVector sparse(std::size_t limit, bool pairs) {
        const std::uint32_t n = u32();
        need(static_cast<std::size_t>(n) * (pairs ? 8 : 5));
        SparseVector v(n);
        if (pairs) {
            for (auto& entry : v) {
                entry.first = u32();
                entry.second = f32();
                if (entry.first >= limit)
                    damaged("a feature index is out of range");
            }
            return v;
        }
        std::uint64_t next = 0;
        for (auto& entry : v) {
            std::uint64_t gap = 0;
            for (unsigned shift = 0;; shift += 7) {
                need(1);
                const auto byte = static_cast<unsigned char>(data_[pos_++]);
                if (shift > 28)
                    damaged("a feature index is out of range");
                gap |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
                if ((byte & 0x80) == 0)
                    break;
            }
            next += gap;
            if (next >= limit)
                damaged("a feature index is out of range");
            entry.first = static_cast<std::uint32_t>(next);
            ++next;
        }
        for (auto& entry : v)
            entry.second = f32();
        return v;
    }
    /// A count read from the file, checked against what is left of it (each item takes at least
    /// `min_bytes`), so that a damaged count never asks for more memory than the file holds.
    std::uint32_t count(std::size_t min_bytes) {
        const std::uint32_t n = u32();
        need(static_cast<std::size_t>(n) * min_bytes);
        return n;
    }
    void expect(std::string_view magic) {
        need(magic.size());
        if (data_.substr(pos_, magic.size()) != magic)
            damaged("a section marker is missing");
        pos_ += magic.size();
    }
    [[noreturn]] void damaged(const std::string& why) const {
        throw IndexError("model '" + path_ + "' is damaged (" + why + "); " + fix_for(path_));
    }

  private:
    void need(std::size_t n) const {
        if (data_.size() - pos_ < n)
            damaged("it ends too early");
    }
    void raw(void* out, std::size_t n) {
        need(n);
        if (n != 0) // an empty vector's data() may be null, which memcpy must not get
            std::memcpy(out, data_.data() + pos_, n);
        pos_ += n;
    }
    std::string_view data_;
    std::string path_;
    std::size_t pos_ = 0;
};

nlohmann::json header_of(const SuggestModel& m, int version) {
    return {
        {"format", kModelFormatName},
        {"version", version},
        {"facet", m.facet},
        {"hierarchical", m.hierarchical},
        {"multi_label", m.multi_label},
        {"analyzer",
         {{"language", m.analyzer.language}, {"fold_diacritics", m.analyzer.fold_diacritics}}},
        {"features",
         {{"title_weight", m.features.title_weight},
          {"text_weight", m.features.text_weight},
          {"reasoning_weight", m.features.reasoning_weight},
          {"source_weight", m.features.source_weight},
          {"bigrams", m.features.bigrams},
          {"min_df", m.features.min_df}}},
        {"labels", m.labels},
        {"label_names", m.label_names},
        {"group_codes", m.group_codes},
        {"group_names", m.group_names},
        {"label_group", m.label_group},
        {"neighbours_k", m.neighbours_k},
        {"neighbour_weight", m.neighbour_weight},
        {"prior_weight", m.prior_weight},
        {"group_weight", m.group_weight},
        {"centroid_weight", m.centroid_weight},
        {"embedding_weight", m.embedding_weight},
        {"embedding_prior_weight", m.embedding_prior_weight},
        {"embedding_neighbour_weight", m.embedding_neighbour_weight},
        {"word_vectors", m.word_vectors == nullptr ? 0 : m.word_vectors->size()},
        {"word_vector_dimensions", m.word_vectors == nullptr ? 0 : m.word_vectors->dimensions()},
        {"temperature", m.temperature},
        {"platt_a", m.platt_a},
        {"platt_b", m.platt_b},
        {"trained_records", m.trained_records},
        {"index_records", m.index_records},
        {"index_fingerprint", m.index_fingerprint},
        {"vocabulary_size", m.vocabulary.size()},
    };
}

void read_header(const nlohmann::json& h, SuggestModel& m) {
    m.facet = h.at("facet").get<std::string>();
    m.hierarchical = h.at("hierarchical").get<bool>();
    m.multi_label = h.at("multi_label").get<bool>();
    m.analyzer.language = h.at("analyzer").at("language").get<std::string>();
    m.analyzer.fold_diacritics = h.at("analyzer").at("fold_diacritics").get<bool>();
    const auto& f = h.at("features");
    m.features.title_weight = f.at("title_weight").get<float>();
    m.features.text_weight = f.at("text_weight").get<float>();
    m.features.reasoning_weight = f.at("reasoning_weight").get<float>();
    m.features.source_weight = f.at("source_weight").get<float>();
    m.features.bigrams = f.at("bigrams").get<bool>();
    m.features.min_df = f.at("min_df").get<std::uint32_t>();
    m.labels = h.at("labels").get<std::vector<std::string>>();
    m.label_names = h.at("label_names").get<std::vector<std::string>>();
    m.group_codes = h.at("group_codes").get<std::vector<std::string>>();
    m.group_names = h.at("group_names").get<std::vector<std::string>>();
    m.label_group = h.at("label_group").get<std::vector<std::uint32_t>>();
    m.neighbours_k = h.at("neighbours_k").get<std::uint32_t>();
    m.neighbour_weight = h.at("neighbour_weight").get<float>();
    m.prior_weight = h.at("prior_weight").get<float>();
    m.group_weight = h.at("group_weight").get<float>();
    m.centroid_weight = h.at("centroid_weight").get<float>();
    m.embedding_weight = h.at("embedding_weight").get<float>();
    m.embedding_prior_weight = h.at("embedding_prior_weight").get<float>();
    m.embedding_neighbour_weight = h.at("embedding_neighbour_weight").get<float>();
    m.temperature = h.at("temperature").get<float>();
    m.platt_a = h.at("platt_a").get<float>();
    m.platt_b = h.at("platt_b").get<float>();
    m.trained_records = h.at("trained_records").get<std::uint64_t>();
    m.index_records = h.at("index_records").get<std::uint64_t>();
    // Optional: a model written before fingerprints were kept counts as out of date.
    m.index_fingerprint = h.value("index_fingerprint", std::string());
}

/// Where the models of index `db` live: its folder, or for a stub file of shards (which the front
/// end reads; the shard servers know nothing of models) the folder "STUB.models" beside it.
fs::path model_folder(std::string_view db) {
    std::error_code ec;
    if (fs::is_regular_file(fs::path(db), ec))
        return fs::path(std::string(db) + ".models");
    return fs::path(db);
}

} // namespace

std::string model_path(std::string_view db, std::string_view facet) {
    std::string name(kFilePrefix);
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : facet) {
        if (std::isalnum(c) || c == '-' || c == '_') {
            name += static_cast<char>(c);
        } else {
            name += '%';
            name += kHex[c >> 4];
            name += kHex[c & 15];
        }
    }
    name += kFileSuffix;
    return (model_folder(db) / name).string();
}

std::vector<std::string> model_facets(std::string_view db) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(model_folder(db), ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(kFilePrefix, 0) != 0 ||
            name.size() <= kFilePrefix.size() + kFileSuffix.size() ||
            name.compare(name.size() - kFileSuffix.size(), kFileSuffix.size(), kFileSuffix) != 0) {
            continue;
        }
        std::string encoded =
            name.substr(kFilePrefix.size(), name.size() - kFilePrefix.size() - kFileSuffix.size());
        std::string facet;
        for (std::size_t i = 0; i < encoded.size(); ++i) {
            if (encoded[i] == '%' && i + 2 < encoded.size()) {
                facet += static_cast<char>(std::stoi(encoded.substr(i + 1, 2), nullptr, 16));
                i += 2;
            } else {
                facet += encoded[i];
            }
        }
        out.push_back(std::move(facet));
    }
    std::sort(out.begin(), out.end());
    return out;
}

void save_model(const SuggestModel& model, const std::string& path, int version) {
    if (version != kModelFormatVersion && version != kModelFormatPairsVersion) {
        throw InvalidInput("cannot write model '" + path + "' in format version " +
                           std::to_string(version) + "; this airm writes versions " +
                           std::to_string(kModelFormatPairsVersion) + " and " +
                           std::to_string(kModelFormatVersion));
    }
    Writer w;
    w.pairs = version == kModelFormatPairsVersion;
    w.out = std::string(kModelFormatName) + " " + std::to_string(version) + "\n";
    w.out += header_of(model, version).dump() + "\n";
    w.raw(kBinaryMagic.data(), kBinaryMagic.size());
    w.u32(static_cast<std::uint32_t>(model.vocabulary.size()));
    for (const auto& term : model.vocabulary.terms()) {
        w.str(term);
    }
    w.floats(model.vocabulary.idf());
    w.floats(model.weights);
    w.floats(model.bias);
    w.floats(model.group_weights);
    w.floats(model.group_bias);
    w.u32(static_cast<std::uint32_t>(model.prior_vectors.size()));
    for (const auto& v : model.prior_vectors) {
        w.sparse(v);
    }
    w.u32(static_cast<std::uint32_t>(model.centroids.size()));
    for (const auto& v : model.centroids) {
        w.sparse(v);
    }
    w.u32(static_cast<std::uint32_t>(model.examples.size()));
    for (const ModelExample& e : model.examples) {
        w.str(e.id);
        w.str(e.title);
        w.u32(static_cast<std::uint32_t>(e.labels.size()));
        for (std::uint32_t l : e.labels)
            w.u32(l);
        w.sparse(e.vector);
    }
    // The word-vector member: its table, each word's IDF, and the label, taxonomy-text and
    // example embeddings (a table of 0 words: no such member).
    const std::size_t n_words = model.word_vectors == nullptr ? 0 : model.word_vectors->size();
    w.u32(static_cast<std::uint32_t>(n_words));
    w.u32(static_cast<std::uint32_t>(n_words == 0 ? 0 : model.word_vectors->dimensions()));
    if (n_words != 0) {
        for (const auto& word : model.word_vectors->words())
            w.str(word);
        w.floats(model.word_vectors->vectors());
        w.floats(model.word_weights);
        w.floats(model.embedding_mean);
        w.floats(model.embedding_centroids);
        w.floats(model.embedding_priors);
        w.floats(model.embedding_examples);
    }
    w.raw(kEndMagic.data(), kEndMagic.size());

    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(w.out.data(), static_cast<std::streamsize>(w.out.size()));
        out.close();
        if (!out) {
            std::error_code ec;
            fs::remove(temporary, ec);
            throw IndexError("cannot write model '" + path +
                             "'; check that the index folder is writable and the disk has space");
        }
    }
    std::error_code ec;
    fs::rename(temporary, path, ec);
    if (ec) {
        fs::remove(temporary, ec);
        throw IndexError("cannot write model '" + path + "' (" + ec.message() +
                         "); check that the index folder is writable");
    }
}

namespace {

/// Reads the model file at `path`. With `legacy`, a file of format version 4 is read too: the
/// sections of the members this airm no longer has are skipped, and `legacy` is left true (the
/// model then serves for its word vectors only, since it no longer scores as it was fitted).
SuggestModel read_model(const std::string& path, bool& legacy) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const std::string db = fs::path(path).parent_path().string();
        throw NotFound("index '" + db + "' has no suggestion model for facet '" +
                       facet_from_path(path) + "' (no file " + path +
                       "); build one with 'airm train --db " + db + " --field " +
                       facet_from_path(path) + "'");
    }
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string data = ss.str();

    const std::size_t first_end = data.find('\n');
    const std::string first = data.substr(0, std::min(first_end, std::size_t{200}));
    const std::string expected_prefix = std::string(kModelFormatName) + " ";
    if (first.rfind(expected_prefix, 0) != 0 || first_end == std::string::npos) {
        throw IndexError("'" + path +
                         "' is not an airm suggestion model (it does not begin with '" +
                         std::string(kModelFormatName) + "'); remove it, then " + fix_for(path));
    }
    const std::string version = first.substr(expected_prefix.size());
    legacy = legacy && version == std::to_string(kFormatWithRejectedMembers);
    const bool pairs = version == std::to_string(kModelFormatPairsVersion);
    if (version != std::to_string(kModelFormatVersion) && !pairs && !legacy) {
        throw VersionMismatch("model '" + path + "' has format version " + version +
                              ", but this airm reads version " +
                              std::to_string(kModelFormatVersion) + " and the previous version " +
                              std::to_string(kModelFormatPairsVersion) + "; " + fix_for(path));
    }
    const std::size_t header_end = data.find('\n', first_end + 1);
    Reader fail(std::string_view(), path);
    if (header_end == std::string::npos)
        fail.damaged("the header line is missing");

    SuggestModel m;
    try {
        read_header(nlohmann::json::parse(data.begin() + static_cast<std::ptrdiff_t>(first_end) + 1,
                                          data.begin() + static_cast<std::ptrdiff_t>(header_end)),
                    m);
    } catch (const nlohmann::json::exception& e) {
        fail.damaged(std::string("its header is unreadable: ") + e.what());
    }
    Reader r(std::string_view(data).substr(header_end + 1), path);
    r.expect(kBinaryMagic);
    const std::uint32_t n_terms = r.count(4); // each term is at least its length
    std::vector<std::string> terms;
    terms.reserve(n_terms);
    for (std::uint32_t i = 0; i < n_terms; ++i)
        terms.push_back(r.str());
    std::vector<float> idf = r.floats();
    m.weights = r.floats();
    m.bias = r.floats();
    m.group_weights = r.floats();
    m.group_bias = r.floats();
    const std::size_t n_labels = m.labels.size();
    if (idf.size() != n_terms || m.weights.size() != static_cast<std::size_t>(n_terms) * n_labels ||
        m.bias.size() != n_labels || m.label_names.size() != n_labels ||
        m.group_weights.size() != static_cast<std::size_t>(n_terms) * m.group_bias.size() ||
        (!m.group_bias.empty() && m.group_bias.size() != m.group_codes.size()) ||
        (m.hierarchical && m.label_group.size() != n_labels)) {
        r.damaged("its array sizes disagree");
    }
    for (std::uint32_t g : m.label_group) {
        if (g >= m.group_codes.size())
            r.damaged("a label group is out of range");
    }
    m.vocabulary = Vocabulary::from_parts(std::move(terms), std::move(idf));
    if (r.u32() != n_labels)
        r.damaged("the prior has the wrong number of labels");
    m.prior_vectors.resize(n_labels);
    for (auto& v : m.prior_vectors)
        v = r.sparse(n_terms, pairs || legacy);
    if (r.u32() != n_labels)
        r.damaged("the centroids have the wrong number of labels");
    m.centroids.resize(n_labels);
    for (auto& v : m.centroids)
        v = r.sparse(n_terms, pairs || legacy);
    const std::uint32_t n_examples = r.count(16); // id, title, labels and vector lengths
    m.examples.resize(n_examples);
    for (ModelExample& e : m.examples) {
        e.id = r.str();
        e.title = r.str();
        e.labels.resize(r.count(4));
        for (auto& l : e.labels) {
            l = r.u32();
            if (l >= n_labels)
                r.damaged("an example label is out of range");
        }
        e.vector = r.sparse(n_terms, pairs || legacy);
    }
    if (legacy) {
        // Version 4: BM25 weights per example, source features and their label lifts, label log
        // priors and the sibling models, all empty when off.
        for (std::uint32_t i = 0, n = r.count(4); i < n; ++i)
            (void)r.sparse(n_terms, true);
        for (std::uint32_t i = 0, n = r.count(4); i < n; ++i)
            (void)r.u32();
        for (int i = 0; i < 4; ++i)
            (void)r.floats();
    }
    const std::uint32_t n_words = r.count(4);
    const std::uint32_t dimensions = r.u32();
    if (n_words != 0) {
        std::vector<std::string> words;
        words.reserve(n_words);
        for (std::uint32_t i = 0; i < n_words; ++i)
            words.push_back(r.str());
        std::vector<float> vectors = r.floats();
        m.word_weights = r.floats();
        m.embedding_mean = r.floats();
        m.embedding_centroids = r.floats();
        m.embedding_priors = r.floats();
        m.embedding_examples = r.floats();
        const std::size_t d = dimensions;
        if (d == 0 || vectors.size() != static_cast<std::size_t>(n_words) * d ||
            m.word_weights.size() != n_words || m.embedding_mean.size() != d ||
            m.embedding_centroids.size() != n_labels * d ||
            (!m.embedding_priors.empty() && m.embedding_priors.size() != n_labels * d) ||
            (!m.embedding_examples.empty() && m.embedding_examples.size() != n_examples * d))
            r.damaged("its word-vector member has the wrong sizes");
        m.word_vectors = std::make_shared<const WordVectors>(
            WordVectors::from_parts(std::move(words), std::move(vectors), d));
    } else if (m.embedding_weight != 0.0F || m.embedding_prior_weight != 0.0F ||
               m.embedding_neighbour_weight != 0.0F) {
        r.damaged("it weighs a word-vector member it does not hold");
    }
    r.expect(kEndMagic);
    if (!legacy)
        m.finalize();
    return m;
}

} // namespace

SuggestModel load_model(const std::string& path) {
    bool legacy = false;
    return read_model(path, legacy);
}

std::shared_ptr<const WordVectors> load_word_vectors(const std::string& path) {
    bool legacy = true;
    return read_model(path, legacy).word_vectors;
}

} // namespace airm
