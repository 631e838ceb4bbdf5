#include "tools/chat/chat_template.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace strata::chat {
namespace {

constexpr std::pair<ChatTemplate, const char*> kNames[] = {
    {ChatTemplate::kChatMl, "chatml"},
    {ChatTemplate::kLlama3, "llama3"},
    {ChatTemplate::kLlama2, "llama2"},
    {ChatTemplate::kMistral, "mistral"},
    {ChatTemplate::kMistralV1, "mistral-v1"},
    {ChatTemplate::kMistralV3, "mistral-v3"},
    {ChatTemplate::kMistralV3Tekken, "mistral-v3-tekken"},
    {ChatTemplate::kMistralV7, "mistral-v7"},
    {ChatTemplate::kDeepSeek2, "deepseek2"},
    {ChatTemplate::kDeepSeek3, "deepseek3"},
    {ChatTemplate::kGemma, "gemma"},
};

constexpr char kDeepSeekEos[] = "<｜end▁of▁sentence｜>";

std::string Trim(absl::string_view s) { return std::string(absl::StripAsciiWhitespace(s)); }

// ChatML: every message, system included, as its own block.
std::string FormatChatMl(absl::Span<const ChatMessage> messages, bool add_generation_prompt) {
  std::string out;
  for (const ChatMessage& m : messages) {
    absl::StrAppend(&out, "<|im_start|>", m.role, "\n", m.content, "<|im_end|>\n");
  }
  if (add_generation_prompt) absl::StrAppend(&out, "<|im_start|>assistant\n");
  return out;
}

// Llama 3 trims every message (`message['content'] | trim`).
std::string FormatLlama3(absl::Span<const ChatMessage> messages, bool add_generation_prompt) {
  std::string out;
  for (const ChatMessage& m : messages) {
    absl::StrAppend(&out, "<|start_header_id|>", m.role, "<|end_header_id|>\n\n", Trim(m.content),
                    "<|eot_id|>");
  }
  if (add_generation_prompt)
    absl::StrAppend(&out, "<|start_header_id|>assistant<|end_header_id|>\n\n");
  return out;
}

// Llama 2 and the Mistral templates derived from it: the conversation opens
// inside an [INST] block; a reply closes it with </s>. `system_block`: Llama
// 2's <<SYS>> wrapper; without it the system text leads the first user turn.
std::string FormatLlama2(absl::Span<const ChatMessage> messages, bool system_block) {
  std::string out = "[INST] ";
  bool inside_turn = true;
  for (const ChatMessage& m : messages) {
    if (!inside_turn) {
      absl::StrAppend(&out, "[INST] ");
      inside_turn = true;
    }
    if (m.role == "system") {
      if (system_block) {
        absl::StrAppend(&out, "<<SYS>>\n", m.content, "\n<</SYS>>\n\n");
      } else {
        absl::StrAppend(&out, m.content, "\n");
      }
    } else if (m.role == "user") {
      absl::StrAppend(&out, m.content, " [/INST]");
    } else {
      absl::StrAppend(&out, m.content, "</s>");
      inside_turn = false;
    }
  }
  return out;
}

// Mistral's own v1 / v3 / v3-tekken templates differ only in spaces and in
// v3 trimming replies; the system prompt leads the first user turn.
std::string FormatMistral(absl::Span<const ChatMessage> messages, ChatTemplate t) {
  const absl::string_view leading = t == ChatTemplate::kMistralV1 ? " " : "";
  const absl::string_view trailing = t == ChatTemplate::kMistralV3Tekken ? "" : " ";
  std::string out;
  bool inside_turn = false;
  for (const ChatMessage& m : messages) {
    if (!inside_turn) {
      absl::StrAppend(&out, leading, "[INST]", trailing);
      inside_turn = true;
    }
    if (m.role == "system") {
      absl::StrAppend(&out, m.content, "\n\n");
    } else if (m.role == "user") {
      absl::StrAppend(&out, m.content, leading, "[/INST]");
    } else {
      absl::StrAppend(&out, trailing, t == ChatTemplate::kMistralV3 ? Trim(m.content) : m.content,
                      "</s>");
      inside_turn = false;
    }
  }
  return out;
}

std::string FormatMistralV7(absl::Span<const ChatMessage> messages) {
  std::string out;
  for (const ChatMessage& m : messages) {
    if (m.role == "system") {
      absl::StrAppend(&out, "[SYSTEM_PROMPT] ", m.content, "[/SYSTEM_PROMPT]");
    } else if (m.role == "user") {
      absl::StrAppend(&out, "[INST] ", m.content, "[/INST]");
    } else {
      absl::StrAppend(&out, " ", m.content, "</s>");
    }
  }
  return out;
}

std::string FormatDeepSeek2(absl::Span<const ChatMessage> messages, bool add_generation_prompt) {
  std::string out;
  for (const ChatMessage& m : messages) {
    if (m.role == "system") {
      absl::StrAppend(&out, m.content, "\n\n");
    } else if (m.role == "user") {
      absl::StrAppend(&out, "User: ", m.content, "\n\n");
    } else {
      absl::StrAppend(&out, "Assistant: ", m.content, kDeepSeekEos);
    }
  }
  if (add_generation_prompt) absl::StrAppend(&out, "Assistant:");
  return out;
}

// DeepSeek-V3 / R1's official template puts the system prompt first with no
// separator (llama.cpp's built-in formatter adds "\n\n"; we follow the
// model's own template).
std::string FormatDeepSeek3(absl::Span<const ChatMessage> messages, bool add_generation_prompt) {
  std::string system;
  std::string turns;
  for (const ChatMessage& m : messages) {
    if (m.role == "system") {
      absl::StrAppend(&system, system.empty() ? "" : "\n\n", m.content);
    } else if (m.role == "user") {
      absl::StrAppend(&turns, "<｜User｜>", m.content);
    } else {
      absl::StrAppend(&turns, "<｜Assistant｜>", m.content, kDeepSeekEos);
    }
  }
  if (add_generation_prompt) absl::StrAppend(&turns, "<｜Assistant｜>");
  return system + turns;
}

// Gemma has no system role: the (trimmed) system text opens the next user
// turn. The assistant's role is "model"; every message is trimmed.
std::string FormatGemma(absl::Span<const ChatMessage> messages, bool add_generation_prompt) {
  std::string out;
  std::string system;
  for (const ChatMessage& m : messages) {
    if (m.role == "system") {
      absl::StrAppend(&system, Trim(m.content));
      continue;
    }
    const bool model = m.role == "assistant";
    absl::StrAppend(&out, "<start_of_turn>", model ? "model" : m.role, "\n");
    if (!system.empty() && !model) {
      absl::StrAppend(&out, system, "\n\n");
      system.clear();
    }
    absl::StrAppend(&out, Trim(m.content), "<end_of_turn>\n");
  }
  if (add_generation_prompt) absl::StrAppend(&out, "<start_of_turn>model\n");
  return out;
}

}  // namespace

absl::string_view ChatTemplateName(ChatTemplate t) {
  for (const auto& [value, name] : kNames) {
    if (value == t) return name;
  }
  return "?";
}

std::vector<std::string> ChatTemplateNames() {
  std::vector<std::string> names;
  for (const auto& [value, name] : kNames) names.emplace_back(name);
  return names;
}

absl::StatusOr<ChatTemplate> ChatTemplateFromName(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "qwen") return ChatTemplate::kChatMl;
  if (lower == "mixtral") return ChatTemplate::kMistral;
  for (const auto& [value, known] : kNames) {
    if (lower == known) return value;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown chat template '", name, "' (known: ",
                                                 absl::StrJoin(ChatTemplateNames(), ", "), ")"));
}

absl::StatusOr<ChatTemplate> DetectChatTemplate(absl::string_view source) {
  if (source.empty()) {
    return absl::NotFoundError(
        absl::StrCat("the model has no chat template (tokenizer.chat_template); choose one with "
                     "--chat-template (",
                     absl::StrJoin(ChatTemplateNames(), ", "), ")"));
  }
  auto has = [&](absl::string_view needle) { return absl::StrContains(source, needle); };
  // The same precedence as llama.cpp's llm_chat_detect_template.
  if (has("<|im_start|>")) {
    // Phi-4 (<|im_sep|>) and SmolVLM use <|im_start|> without being ChatML.
    if (!has("<|im_sep|>") && !has("<end_of_utterance>")) return ChatTemplate::kChatMl;
  } else if (absl::StartsWith(source, "mistral") || has("[INST]")) {
    if (has("[SYSTEM_PROMPT]")) return ChatTemplate::kMistralV7;
    // Mistral's official v1 and v3 templates.
    if (has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]")) {
      if (has(" [INST]")) return ChatTemplate::kMistralV1;
      if (has("\"[INST]\"")) return ChatTemplate::kMistralV3Tekken;
      return ChatTemplate::kMistralV3;
    }
    return has("<<SYS>>") ? ChatTemplate::kLlama2 : ChatTemplate::kMistral;
  } else if (has("<start_of_turn>")) {
    return ChatTemplate::kGemma;
  } else if (has("<|start_header_id|>") && has("<|end_header_id|>")) {
    return ChatTemplate::kLlama3;
  } else if (has("'Assistant: ' + message['content'] + eos_token")) {
    return ChatTemplate::kDeepSeek2;
  } else if (has("<｜Assistant｜>") && has("<｜User｜>") && has(kDeepSeekEos)) {
    return ChatTemplate::kDeepSeek3;
  }
  return absl::UnimplementedError(
      absl::StrCat("the model's chat template is not one Strata recognises; choose a format with "
                   "--chat-template (",
                   absl::StrJoin(ChatTemplateNames(), ", "), ")"));
}

std::string FormatChat(ChatTemplate t, absl::Span<const ChatMessage> messages,
                       bool add_generation_prompt) {
  switch (t) {
    case ChatTemplate::kChatMl:
      return FormatChatMl(messages, add_generation_prompt);
    case ChatTemplate::kLlama3:
      return FormatLlama3(messages, add_generation_prompt);
    case ChatTemplate::kLlama2:
      return FormatLlama2(messages, /*system_block=*/true);
    case ChatTemplate::kMistral:
      return FormatLlama2(messages, /*system_block=*/false);
    case ChatTemplate::kMistralV1:
    case ChatTemplate::kMistralV3:
    case ChatTemplate::kMistralV3Tekken:
      return FormatMistral(messages, t);
    case ChatTemplate::kMistralV7:
      return FormatMistralV7(messages);
    case ChatTemplate::kDeepSeek2:
      return FormatDeepSeek2(messages, add_generation_prompt);
    case ChatTemplate::kDeepSeek3:
      return FormatDeepSeek3(messages, add_generation_prompt);
    case ChatTemplate::kGemma:
      return FormatGemma(messages, add_generation_prompt);
  }
  return "";
}

}  // namespace strata::chat
