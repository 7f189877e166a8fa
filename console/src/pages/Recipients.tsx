export default function RecipientsPage() {
  return (
    <main className="page">
      <h1>Recipients</h1>
      <p>Coming next.</p>
    </main>
  );
}
