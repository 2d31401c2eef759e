"""Auto-reply (智能客服): buyer messages matched to intents by rules, answered from the order's real state."""
