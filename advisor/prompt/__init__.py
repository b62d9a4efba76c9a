"""The plain-prompt interview (questionary), for ssh sessions and terminals without a full-screen app."""
