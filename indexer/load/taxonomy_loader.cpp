#include "indexer/load/taxonomy_loader.hpp"

#include "engine/codes.hpp"
#include "engine/error.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace airm {
namespace {

using nlohmann::json;

std::vector<std::string> read_examples(const json& node) {
    std::vector<std::string> out;
    auto it = node.find("examples");
    if (it == node.end())
        return out;
    if (it->is_array()) {
        for (const auto& e : *it) {
            if (e.is_string())
                out.push_back(e.get<std::string>());
        }
    } else if (it->is_string()) {
        // "a, b, c" as one string.
        std::stringstream ss(it->get<std::string>());
        std::string part;
        while (std::getline(ss, part, ',')) {
            auto b = part.find_first_not_of(" \t\n");
            auto e = part.find_last_not_of(" \t\n.");
            if (b != std::string::npos)
                out.push_back(part.substr(b, e - b + 1));
        }
    }
    return out;
}

void read_nested(const json& list, const std::string& parent, Taxonomy& out,
                 const std::string& path, int depth) {
    if (depth > 256) {
        throw InvalidInput(
            path + ": the taxonomy nests deeper than 256 levels; flatten it with \"parent\" codes");
    }
    for (const auto& node : list) {
        if (!node.is_object() || !node.contains("code") || !node["code"].is_string()) {
            throw InvalidInput(path + ": a taxonomy node has no string \"code\" (under '" + parent +
                               "'); every node needs one, e.g. \"3.1\"");
        }
        TaxonomyNode n;
        n.code = node["code"].get<std::string>();
        if (!is_taxonomy_code(n.code)) {
            throw InvalidInput(path + ": code '" + n.code +
                               "' is not a dotted code such as \"3\" or \"3.1\"");
        }
        n.parent = node.contains("parent") && node["parent"].is_string()
                       ? node["parent"].get<std::string>()
                       : parent;
        n.name = node.value("name", "");
        n.description = node.value("description", "");
        n.examples = read_examples(node);
        std::string code = n.code;
        out.add(std::move(n));
        for (const char* key : {"subcategories", "children", "nodes"}) {
            if (node.contains(key) && node[key].is_array()) {
                read_nested(node[key], code, out, path, depth + 1);
            }
        }
    }
}

} // namespace

Taxonomy load_taxonomy_file(const std::string& path, const std::string& facet) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        throw NotFound("taxonomy file '" + path +
                       "' does not exist; check the path given to --taxonomy");
    }
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return parse_taxonomy(text, path, facet);
}

namespace {

Taxonomy parse_taxonomy_unchecked(std::string_view text, const std::string& path,
                                  const std::string& facet);

} // namespace

Taxonomy parse_taxonomy(std::string_view text, const std::string& path, const std::string& facet) {
    try {
        return parse_taxonomy_unchecked(text, path, facet);
    } catch (const json::exception& e) {
        throw InvalidInput(
            path + ": a taxonomy field has the wrong type (" + e.what() +
            "); codes, names and descriptions are strings, examples a list of strings");
    }
}

namespace {

Taxonomy parse_taxonomy_unchecked(std::string_view text, const std::string& path,
                                  const std::string& facet) {
    json doc;
    try {
        doc = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
        throw InvalidInput(path + ": malformed JSON in taxonomy file (" + e.what() + ")");
    }
    if (doc.is_object() && doc.value("format", "") == "airm-taxonomy") {
        Taxonomy t = Taxonomy::from_json(text, path);
        if (t.facet().empty())
            t.set_facet(facet);
        return t;
    }
    Taxonomy t(facet);
    if (doc.is_object()) {
        t.set_title(doc.value("title", ""));
        for (const char* key : {"categories", "nodes", "children"}) {
            if (doc.contains(key) && doc[key].is_array()) {
                read_nested(doc[key], "", t, path, 0);
                return t;
            }
        }
    } else if (doc.is_array()) {
        read_nested(doc, "", t, path, 0);
        return t;
    }
    throw InvalidInput(
        path +
        ": not a taxonomy file; expected {\"format\": \"airm-taxonomy\", \"nodes\": [...]} or "
        "{\"categories\": [{\"code\", \"name\", \"subcategories\": [...]}]}");
}

} // namespace

} // namespace airm
