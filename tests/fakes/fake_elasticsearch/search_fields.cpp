#include "tests/fakes/fake_elasticsearch/search_fields.h"

#include <rapidjson/writer.h>

#include <charconv>
#include <cmath>

namespace auditrelay::fakes::es {
namespace {

std::string_view view(const rapidjson::Value& value) {
  return {value.GetString(), value.GetStringLength()};
}

// The shortest text of a double that reads back as it (what JSON writers give).
std::string double_text(double value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.Double(value);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void add_leaf(const rapidjson::Value& value, std::vector<const rapidjson::Value*>& out) {
  if (value.IsNull()) return;
  if (!value.IsArray()) {
    out.push_back(&value);
    return;
  }
  for (const auto& element : value.GetArray())
    add_leaf(element, out);
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

void parsing_error(const std::string& reason) {
  throw SearchError(400, "parsing_exception", reason);
}

void illegal_argument(const std::string& reason) {
  throw SearchError(400, "illegal_argument_exception", reason);
}

bool is_date_field(std::string_view field) {
  return field == "@timestamp";
}

std::optional<Scalar> Scalar::from_json(const rapidjson::Value& value) {
  Scalar scalar;
  if (value.IsString()) {
    scalar.text.assign(view(value));
  } else if (value.IsBool()) {
    scalar.kind = Kind::kBool;
    scalar.number = value.GetBool() ? 1 : 0;
    scalar.text = value.GetBool() ? "true" : "false";
  } else if (value.IsNumber()) {
    scalar.kind = Kind::kNumber;
    scalar.number = value.GetDouble();
    scalar.integral = value.IsInt64();
    if (scalar.integral) {
      scalar.integer = value.GetInt64();
      scalar.text = std::to_string(scalar.integer);
    } else {
      scalar.text = double_text(scalar.number);
    }
  } else {
    return std::nullopt;
  }
  return scalar;
}

Scalar Scalar::of_string(std::string_view text) {
  Scalar scalar;
  scalar.text.assign(text);
  return scalar;
}

bool same_value(const Scalar& field, const Scalar& term) {
  switch (field.kind) {
    case Scalar::Kind::kString:
      return field.text == term.text;
    case Scalar::Kind::kBool:
      return term.kind != Scalar::Kind::kNumber && field.text == term.text;
    case Scalar::Kind::kNumber:
      if (term.kind == Scalar::Kind::kNumber) {
        if (field.integral && term.integral) return field.integer == term.integer;
        return field.number == term.number;
      }
      if (term.kind == Scalar::Kind::kString) {
        auto number = parse_number(term.text);
        return number && *number == field.number;
      }
      return false;
  }
  return false;
}

int compare(const Scalar& a, const Scalar& b) {
  if (a.kind != b.kind) return a.kind < b.kind ? -1 : 1;
  if (a.kind == Scalar::Kind::kString) {
    int c = a.text.compare(b.text);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (a.integral && b.integral) return a.integer < b.integer ? -1 : a.integer > b.integer ? 1 : 0;
  return a.number < b.number ? -1 : a.number > b.number ? 1 : 0;
}

void field_values(const rapidjson::Value& source, std::string_view path,
                  std::vector<const rapidjson::Value*>& out) {
  if (source.IsArray()) {
    for (const auto& element : source.GetArray())
      field_values(element, path, out);
    return;
  }
  if (!source.IsObject()) return;
  for (const auto& member : source.GetObject()) {
    std::string_view key = view(member.name);
    if (path == key) {
      add_leaf(member.value, out);
    } else if (path.size() > key.size() && path.substr(0, key.size()) == key &&
               path[key.size()] == '.') {
      field_values(member.value, path.substr(key.size() + 1), out);
    }
  }
}

std::vector<Scalar> scalar_values(const rapidjson::Value& source, std::string_view path) {
  std::vector<const rapidjson::Value*> values;
  field_values(source, path, values);
  std::vector<Scalar> scalars;
  scalars.reserve(values.size());
  for (const auto* value : values) {
    if (auto scalar = Scalar::from_json(*value)) scalars.push_back(std::move(*scalar));
  }
  return scalars;
}

}  // namespace auditrelay::fakes::es
