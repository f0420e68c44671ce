"""What every domain app leans on and none owns: errors that name the field (errors), the audit actor of a
write (audit), a user's effective role (roles). No models, no imports from the domain apps."""
