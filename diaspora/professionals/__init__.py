"""The registry of diaspora health professionals: profile, licences, availability, consent."""
