"""Knowledge drawn from the questions customers ask: articles, how they are found, which
questions no article answers, and drafts from conversations that solved them."""
