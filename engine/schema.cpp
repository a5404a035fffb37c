#include "engine/schema.hpp"

namespace airm::schema {

std::string_view field_name(Field field) {
    switch (field) {
    case Field::title:
        return "title";
    case Field::text:
        return "text";
    case Field::reasoning:
        return "reasoning";
    case Field::source:
        return "source";
    }
    return "";
}

std::optional<Field> field_from_name(std::string_view name) {
    for (Field f : kAllFields) {
        if (field_name(f) == name) {
            return f;
        }
    }
    return std::nullopt;
}

std::string_view field_prefix(Field field) {
    switch (field) {
    case Field::title:
        return "S";
    case Field::text:
        return "XT";
    case Field::reasoning:
        return "XR";
    case Field::source:
        return "XS";
    }
    return "";
}

unsigned field_wdf(Field field) {
    switch (field) {
    case Field::title:
        return 3;
    case Field::text:
        return 2;
    case Field::reasoning:
        return 1;
    case Field::source:
        return 1;
    }
    return 1;
}

std::string field_stem_term(Field field, std::string_view stem) {
    std::string term(kStemPrefix);
    term.append(field_prefix(field)).append(stem);
    return term;
}

std::optional<std::string_view> derived_field_stem(std::string_view term) {
    const std::string derived = field_stem_term(kDerivedField, "");
    // Stems are folded (lower case), so no stem of another field starts with this prefix.
    if (term.size() > derived.size() && term.compare(0, derived.size(), derived) == 0) {
        return term.substr(derived.size());
    }
    return std::nullopt;
}

std::string id_term(std::string_view id) {
    return "Q" + std::string(id);
}

std::string facet_term_prefix(std::string_view facet) {
    return "XF" + std::string(facet) + ":";
}

std::string facet_term(std::string_view facet, std::string_view normalized_value) {
    return facet_term_prefix(facet) + std::string(normalized_value);
}

} // namespace airm::schema
