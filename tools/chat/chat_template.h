// Chat templates: the conversation formats Strata knows, how a model's
// `tokenizer.chat_template` is recognised as one of them, and how a
// conversation is rendered in each.
//
// GGUF files carry their chat template as Jinja source. Like llama.cpp we do
// not run Jinja: DetectChatTemplate recognises the family by substrings that
// only that family's templates contain (checked in an order where a more
// specific family comes first), and FormatChat renders messages the way the
// family's official template does. Families and names (for --chat-template):
//
//   chatml             <|im_start|>role\n…<|im_end|>\n (Qwen, Yi, Hermes, …)
//   llama3             <|start_header_id|>role<|end_header_id|>\n\n…<|eot_id|>
//   llama2             [INST] <<SYS>>\n…\n<</SYS>>\n\n… [/INST]…</s>
//   mistral            [INST] … [/INST]…</s> (Mistral v0.1/v0.2, Mixtral)
//   mistral-v1         " [INST] … [/INST] …</s>" (Mistral's official v1)
//   mistral-v3         "[INST] …[/INST] …</s>", replies trimmed
//   mistral-v3-tekken  "[INST]…[/INST]…</s>" (Mistral Nemo)
//   mistral-v7         [SYSTEM_PROMPT] …[/SYSTEM_PROMPT][INST] …[/INST] …</s>
//   deepseek2          User: …\n\nAssistant: …<｜end▁of▁sentence｜>
//   deepseek3          <｜User｜>…<｜Assistant｜>…<｜end▁of▁sentence｜>
//   gemma              <start_of_turn>user\n…<end_of_turn>\n, "model" for assistant
//
// The beginning-of-sequence token is not part of the text: the tokenizer adds
// it as the vocabulary asks. Roles are "system", "user" and "assistant";
// families without a system role fold it into the first user turn as their
// templates do. Pure functions, thread-safe.
#ifndef STRATA_TOOLS_CHAT_CHAT_TEMPLATE_H_
#define STRATA_TOOLS_CHAT_CHAT_TEMPLATE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace strata::chat {

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant".
  std::string content;
};

enum class ChatTemplate {
  kChatMl,
  kLlama3,
  kLlama2,
  kMistral,
  kMistralV1,
  kMistralV3,
  kMistralV3Tekken,
  kMistralV7,
  kDeepSeek2,
  kDeepSeek3,
  kGemma,
};

absl::string_view ChatTemplateName(ChatTemplate t);
// Every name ChatTemplateFromName accepts (aliases excluded), in a stable order.
std::vector<std::string> ChatTemplateNames();
// A name from the table above, or an alias ("qwen" = chatml, "mixtral" =
// mistral). InvalidArgument listing the known names otherwise.
absl::StatusOr<ChatTemplate> ChatTemplateFromName(absl::string_view name);

// The family of the Jinja template `source`. NotFound when it is empty;
// Unimplemented when it matches no family (the message lists them and says
// to pass --chat-template).
absl::StatusOr<ChatTemplate> DetectChatTemplate(absl::string_view source);

// `messages` rendered in `t`'s format; with `add_generation_prompt`, followed
// by what opens the assistant's reply.
std::string FormatChat(ChatTemplate t, absl::Span<const ChatMessage> messages,
                       bool add_generation_prompt);

}  // namespace strata::chat

#endif  // STRATA_TOOLS_CHAT_CHAT_TEMPLATE_H_
