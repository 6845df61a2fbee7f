"""The sessions of virtual missions: weekly series (across DST), attendance and their pages."""
