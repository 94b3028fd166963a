// Package media holds the wire shapes of the non-chat capabilities the
// gateway routes (images, speech, transcription, moderation, rerank): the
// client requests it accepts, their translation for upstreams of another
// shape (Gemini image and speech output through the hub; Cohere, Jina and
// Voyage rerank), the units each request is billed in, and the spool that
// keeps a large upload out of memory while it may be sent more than once.
package media
