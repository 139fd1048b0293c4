DROP TABLE referenced_documents;
DROP TABLE blobs;
