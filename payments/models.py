# No models yet: statements are read by payments/statements/ (pure parsing); the imported lines come later.
