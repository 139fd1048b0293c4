DROP TABLE private_authors;
