package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Task is one entry of the list.
type Task struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Done  bool   `json:"done"`
}

// Store keeps tasks. The example runs on memoryStore; a deployment would put a database here.
type Store interface {
	List(ctx context.Context) ([]Task, error)
	Add(ctx context.Context, title string) (Task, error)
	Complete(ctx context.Context, id string) (Task, error)
}

// errNotFound is returned for an unknown task id.
var errNotFound = errors.New("task not found")

// maxTitleLength keeps one request from filling memory.
const maxTitleLength = 200

// memoryStore is a Store in memory, safe for concurrent use.
type memoryStore struct {
	mu     sync.Mutex
	nextID int
	tasks  []Task
}

func newMemoryStore() *memoryStore { return &memoryStore{} }

func (s *memoryStore) List(context.Context) ([]Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tasks), nil
}

func (s *memoryStore) Add(_ context.Context, title string) (Task, error) {
	title = strings.TrimSpace(title)
	if title == "" {
		return Task{}, errors.New("title is empty")
	}
	if len(title) > maxTitleLength {
		return Task{}, fmt.Errorf("title is longer than %d bytes", maxTitleLength)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	task := Task{ID: strconv.Itoa(s.nextID), Title: title}
	s.tasks = append(s.tasks, task)
	return task, nil
}

func (s *memoryStore) Complete(_ context.Context, id string) (Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.tasks {
		if s.tasks[i].ID == id {
			s.tasks[i].Done = true
			return s.tasks[i], nil
		}
	}
	return Task{}, fmt.Errorf("%w: %q", errNotFound, id)
}
