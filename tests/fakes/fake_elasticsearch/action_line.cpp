#include "tests/fakes/fake_elasticsearch/action_line.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <array>
#include <cstdio>

namespace auditrelay::fakes::es {
namespace {

// Metadata keys Elasticsearch 8 accepts in an action line; any other is an error.
constexpr std::array<std::string_view, 16> kKnownParameters = {"_index",
                                                               "_id",
                                                               "routing",
                                                               "version",
                                                               "version_type",
                                                               "if_seq_no",
                                                               "if_primary_term",
                                                               "pipeline",
                                                               "require_alias",
                                                               "require_data_stream",
                                                               "dynamic_templates",
                                                               "retry_on_conflict",
                                                               "_source",
                                                               "op_type",
                                                               "list_executed_pipelines",
                                                               "_routing"};

// SAX handler: depth 1 holds the op name, depth 2 its parameters.
class ActionHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, ActionHandler> {
 public:
  ActionHandler(uint64_t line, ActionLine& action) : line_(line), action_(action) {}

  bool StartObject() {
    if (depth_ == 1 && !seen_op_) return fail("expected FIELD_NAME but found [START_OBJECT]");
    ++depth_;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    if (depth_ == 1 && !seen_op_) return fail("expected FIELD_NAME but found [END_OBJECT]");
    --depth_;
    return true;
  }
  bool StartArray() {
    if (depth_ == 0) return fail("expected START_OBJECT or END_OBJECT but found [START_ARRAY]");
    if (depth_ == 1) return fail("expected START_OBJECT but found [START_ARRAY]");
    ++depth_;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }
  bool Key(const char* str, rapidjson::SizeType length, bool) {
    std::string_view key(str, length);
    if (depth_ == 1) {
      if (seen_op_) return fail("expected END_OBJECT but found [FIELD_NAME]");
      seen_op_ = true;
      if (key == "create") {
        action_.op = BulkOp::kCreate;
      } else if (key == "index") {
        action_.op = BulkOp::kIndex;
      } else if (key == "update") {
        action_.op = BulkOp::kUpdate;
      } else if (key == "delete") {
        action_.op = BulkOp::kDelete;
      } else {
        return fail("expected one of [create, delete, index, update] but found [" +
                    std::string(key) + "]");
      }
    } else if (depth_ == 2) {
      key_ = key == "_index" ? Param::kIndex : key == "_id" ? Param::kId : Param::kOther;
      bool known = false;
      for (auto k : kKnownParameters)
        known = known || k == key;
      if (!known) {
        action_.error_type = "illegal_argument_exception";
        action_.error_reason = "Action/metadata line [" + std::to_string(line_) +
                               "] contains an unknown parameter [" + std::string(key) + "]";
        return false;
      }
    }
    return true;
  }
  bool String(const char* str, rapidjson::SizeType length, bool) {
    return scalar("VALUE_STRING", std::string_view(str, length));
  }
  bool Uint64(uint64_t value) { return scalar("VALUE_NUMBER", std::to_string(value)); }
  bool Int64(int64_t value) { return scalar("VALUE_NUMBER", std::to_string(value)); }
  bool Uint(unsigned value) { return Uint64(value); }
  bool Int(int value) { return Int64(value); }
  // Booleans, nulls and doubles: only the generic structural checks apply.
  bool Default() { return scalar("VALUE", {}); }

  bool seen_op() const { return seen_op_; }

 private:
  bool scalar(const char* token, std::string_view text) {
    if (depth_ == 0)
      return fail(std::string("expected START_OBJECT or END_OBJECT but found [") + token + "]");
    if (depth_ == 1) return fail(std::string("expected START_OBJECT but found [") + token + "]");
    if (depth_ == 2) {
      if (key_ == Param::kIndex) action_.index.assign(text);
      if (key_ == Param::kId) action_.id.assign(text);
    }
    return true;
  }
  bool fail(const std::string& what) {
    action_.error_type = "illegal_argument_exception";
    action_.error_reason =
        "Malformed action/metadata line [" + std::to_string(line_) + "], " + what;
    return false;
  }

  uint64_t line_;
  ActionLine& action_;
  int depth_ = 0;
  bool seen_op_ = false;
  // The key before the value at depth 2 (rapidjson reuses the key's bytes, so not a view).
  enum class Param { kIndex, kId, kOther } key_ = Param::kOther;
};

}  // namespace

const char* op_name(BulkOp op) {
  switch (op) {
    case BulkOp::kCreate:
      return "create";
    case BulkOp::kIndex:
      return "index";
    case BulkOp::kUpdate:
      return "update";
    case BulkOp::kDelete:
      return "delete";
  }
  return "?";
}

bool parse_action_line(std::string_view line, uint64_t line_number, ActionLine& action) {
  action.index.clear();
  action.id.clear();
  action.error_type.clear();
  action.error_reason.clear();
  ActionHandler handler(line_number, action);
  rapidjson::Reader reader;
  rapidjson::ParseResult result;
  if (line.find('\0') == std::string_view::npos) {
    // Parsed in place, in a copy of its own: strings are not copied once more to be decoded.
    action.text.assign(line);
    rapidjson::InsituStringStream stream(action.text.data());
    result = reader.Parse<rapidjson::kParseInsituFlag>(stream, handler);
  } else {  // a NUL would end a NUL-terminated stream early, and be taken for the line's end
    rapidjson::MemoryStream stream(line.data(), line.size());
    result = reader.Parse(stream, handler);
  }
  if (!action.error_type.empty()) return false;
  if (result.IsError()) {
    // Jackson's "[line:column] message" form, as x_content_parse_exception reports it.
    action.error_type = "x_content_parse_exception";
    // Formatted with snprintf: GCC 12 -O3 warns falsely (-Wrestrict, GCC bug 105329) on
    // the std::string concatenations this would otherwise be.
    char position[64];
    std::snprintf(position, sizeof(position), "[%llu:%zu] ",
                  static_cast<unsigned long long>(line_number), result.Offset() + 1);
    action.error_reason.assign(position);
    action.error_reason.append(rapidjson::GetParseError_En(result.Code()));
    return false;
  }
  if (!handler.seen_op()) {
    action.error_type = "illegal_argument_exception";
    action.error_reason = "Malformed action/metadata line [" + std::to_string(line_number) +
                          "], expected FIELD_NAME but found [END_OBJECT]";
    return false;
  }
  return true;
}

}  // namespace auditrelay::fakes::es
